"""maddpg-tf2: MADDPG and the Multi-Agent Particle Environments on TensorFlow 2."""
from maddpg_tf2.config import Config

__all__ = ["Config"]
__version__ = "0.1.0"
