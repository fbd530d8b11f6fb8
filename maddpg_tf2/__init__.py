"""maddpg-tf2: MADDPG and the Multi-Agent Particle Environments on TensorFlow 2."""
from maddpg_tf2.config import Config

__all__ = ["Config", "load"]
__version__ = "0.1.0"


def load(path, scenario=None, num_units=None, num_adversaries=None, good_policy=None, adv_policy=None,
         seed=None, env_kwargs=None, continuous_actions=None, box_policy=None, member=None):
    """Trained agents from a checkpoint folder (maddpg_tf2's or the original code's); see api.load,
    which takes the same arguments. Settings left out are read from a maddpg_tf2 checkpoint's metadata.

    Imported lazily so that `import maddpg_tf2` does not pull in TensorFlow."""
    from maddpg_tf2 import api

    return api.load(path, scenario=scenario, num_units=num_units, num_adversaries=num_adversaries,
                    good_policy=good_policy, adv_policy=adv_policy, seed=seed, env_kwargs=env_kwargs,
                    continuous_actions=continuous_actions, box_policy=box_policy, member=member)
