"""Coded distributed training (Wang, Xie, Atanasov 2021): code matrices (codes.py), learner actors
(learners.py) and the controller that plugs into the training loop as its updater (controller.py).

Importing this package loads neither Ray nor TensorFlow.
"""


def make_updater(config, learner, env):
    """What the training loop calls `train_step(batch)` on: the learner itself, or the coded
    controller when `config.coded_scheme` is set."""
    if not config.coded_scheme:
        return learner
    from maddpg_tf2.distributed.coded.controller import CodedUpdater
    return CodedUpdater.from_config(config, learner, list(env.action_space_n))
