"""The original `maddpg` package's import paths, backed by maddpg_tf2.

`from maddpg.trainer.maddpg import MADDPGAgentTrainer` and the `AgentTrainer` base class work as in
openai/maddpg, so scripts written for it run unchanged on TensorFlow 2.
"""


class AgentTrainer(object):
    """Interface of one agent's trainer (as the original's)."""

    def __init__(self, name, model, obs_shape, act_space, args):
        raise NotImplementedError()

    def action(self, obs):
        raise NotImplementedError()

    def process_experience(self, obs, act, rew, new_obs, done, terminal):
        raise NotImplementedError()

    def preupdate(self):
        raise NotImplementedError()

    def update(self, agents, t):
        raise NotImplementedError()
