"""The original's `multiagent.multi_discrete.MultiDiscrete` (one class, shared with maddpg_tf2.envs)."""
from maddpg_tf2.envs.spaces import MultiDiscrete

__all__ = ["MultiDiscrete"]
