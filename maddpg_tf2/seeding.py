"""Random generators for TensorFlow that work whether or not op determinism is on.

`tf.random.Generator.from_non_deterministic_state` refuses to run once determinism has been enabled
(by a seeded run earlier in the same process); drawing the seed ourselves avoids that.
"""
from __future__ import annotations

import secrets
from typing import Optional

import tensorflow as tf


def tf_generator(seed: Optional[int] = None) -> tf.random.Generator:
    """A seeded generator; without a seed, one seeded from the operating system's entropy."""
    return tf.random.Generator.from_seed(secrets.randbits(63) if seed is None else seed)
