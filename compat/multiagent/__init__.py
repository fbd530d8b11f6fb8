"""The Multi-Agent Particle Environments' import paths (`multiagent.core`, `.environment`, ...),
written anew on top of maddpg_tf2's physics, so scenario files written for the original run unchanged.
"""
