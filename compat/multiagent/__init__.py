"""The Multi-Agent Particle Environments' import paths (`multiagent.core`, `.environment`, ...),
written anew on top of maddpg_tf2's physics, so scenario files written for the original run unchanged.

Nothing here imports TensorFlow: the environments work for users who train with other frameworks.
"""
from multiagent.multi_discrete import MultiDiscrete  # some forks import it from here

__all__ = ["MultiDiscrete"]
