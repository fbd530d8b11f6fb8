"""The MLP of every actor and critic: in -> num_units relu -> num_units relu -> linear out.

Plain tf.Module with explicitly created variables (not Keras layers) so that their order and shapes
are fixed and map one to one onto the original's `fully_connected{,_1,_2}/{weights,biases}`.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import tensorflow as tf

from maddpg_tf2.checkpoint import LAYER_NAMES  # the original's layer names, which the variables carry


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


class MLP(tf.Module):
    """Two relu hidden layers and a linear output; kernels [in, out] glorot-uniform, biases zero."""

    def __init__(self, in_dim: int, out_dim: int, num_units: int = 64,
                 rng: Optional[np.random.Generator] = None, name: str = "mlp"):
        super().__init__(name=name)
        rng = rng if rng is not None else np.random.default_rng()
        sizes = [int(in_dim), int(num_units), int(num_units), int(out_dim)]
        self.in_dim, self.out_dim, self.num_units = sizes[0], sizes[-1], int(num_units)
        self.kernels: List[tf.Variable] = []
        self.biases: List[tf.Variable] = []
        with self.name_scope:
            for layer, (fan_in, fan_out) in zip(LAYER_NAMES, zip(sizes[:-1], sizes[1:])):
                self.kernels.append(tf.Variable(glorot_uniform(rng, fan_in, fan_out), name=f"{layer}/weights"))
                self.biases.append(tf.Variable(np.zeros(fan_out, np.float32), name=f"{layer}/biases"))

    @property
    def variables_in_order(self) -> List[tf.Variable]:
        """[W0, b0, W1, b1, W2, b2]: the fixed order used for targets, optimizers and checkpoints."""
        return [v for pair in zip(self.kernels, self.biases) for v in pair]

    def __call__(self, x):
        x = tf.convert_to_tensor(x, tf.float32)
        last = len(self.kernels) - 1
        for i, (w, b) in enumerate(zip(self.kernels, self.biases)):
            x = tf.matmul(x, w) + b
            if i < last:
                x = tf.nn.relu(x)
        return x

    def get_numpy(self) -> List[np.ndarray]:
        return [v.numpy() for v in self.variables_in_order]

    def set_numpy(self, arrays) -> None:
        for v, a in zip(self.variables_in_order, arrays):
            v.assign(a)


def mlp_forward_np(weights: List[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The same forward pass in numpy; weights as returned by MLP.get_numpy()."""
    last = len(weights) // 2 - 1
    for i in range(0, len(weights), 2):
        x = x @ weights[i] + weights[i + 1]
        if i // 2 < last:
            np.maximum(x, 0.0, out=x)
    return x
