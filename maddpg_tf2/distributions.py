"""Action distributions, one per kind of action space, as the original MADDPG chose them.

Each distribution turns the actor's flat output ("params", also the regularised quantity) into an
action vector. It has a TensorFlow side (used inside the compiled train step; seeded with stateless
seeds so a run is reproducible) and a numpy mirror with the same semantics (used by the acting
policy, where a TensorFlow call would cost more than the whole forward pass).

Discrete parts sample a *soft* action: softmax(logits + Gumbel noise) at temperature 1. The soft vector
itself is what the environment and the critics see. A pluggable estimator (see estimators.py) may
replace that sample, e.g. by a one-hot forward value with a surrogate gradient.
"""
from __future__ import annotations

import inspect
from typing import Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

# Uniform draws are kept away from 0 so that -log(-log(u)) stays finite (TFP does the same).
_TINY = np.finfo(np.float32).tiny


def space_kind(space) -> str:
    """The kind of an action space, by class name so gym, gymnasium and multiagent spaces all work."""
    names = [c.__name__ for c in type(space).__mro__]
    if "MultiDiscrete" in names or hasattr(space, "num_discrete_space"):
        return "multi_discrete"
    if "Discrete" in names:
        return "discrete"
    if "Box" in names:
        return "box"
    if "MultiBinary" in names:
        return "multi_binary"
    raise ValueError(f"unsupported action space {space!r}: expected Discrete, MultiDiscrete, Box or MultiBinary")


def multi_discrete_bounds(space):
    """(low, high) integer arrays of a multiagent MultiDiscrete (low/high) or gymnasium one (nvec)."""
    if hasattr(space, "low") and hasattr(space, "high") and not hasattr(space, "nvec"):
        return np.asarray(space.low, dtype=np.int64), np.asarray(space.high, dtype=np.int64)
    nvec = np.asarray(space.nvec, dtype=np.int64).reshape(-1)
    start = np.asarray(getattr(space, "start", np.zeros_like(nvec)), dtype=np.int64).reshape(-1)
    return start, start + nvec - 1


def open_unit_uniform(shape, dtype, seed):
    """U(0, 1) without 0 (log(-log(u)) must be finite); stateless when a seed is given."""
    tiny = np.finfo(dtype.as_numpy_dtype).tiny
    if seed is None:
        return tf.random.uniform(shape, minval=tiny, maxval=1.0, dtype=dtype)
    return tf.random.stateless_uniform(shape, seed, minval=tiny, maxval=1.0, dtype=dtype)


def _softmax_np(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _gumbel_np(shape, rng: np.random.Generator):
    u = rng.random(shape)
    np.maximum(u, _TINY, out=u)
    return -np.log(-np.log(u))


def _accepts_seed(fn) -> bool:
    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class ActionDistribution:
    """Interface. params: [B, param_size] float32; actions: [B, action_size] float32."""

    param_size: int
    action_size: int
    one_hot: bool = False
    """True when sampled discrete actions are exactly one-hot (a one-hot estimator)."""

    def sample(self, params, seed=None, temperature=None):
        """A random action; seed: stateless seed, int tensor [2] (None: TF's global stream)."""
        raise NotImplementedError

    def mode(self, params):
        raise NotImplementedError

    def sample_np(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def mode_np(self, params: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SoftCategorical(ActionDistribution):
    """Discrete(k): soft one-hot sample softmax((logits + Gumbel) / temperature); mode softmax(logits).

    `estimator`, when given, is called as estimator(logits, temperature) (plus seed= if it accepts
    one) and decides both the forward value and the gradient of a sample.
    """

    def __init__(self, k: int, estimator=None, temperature: float = 1.0):
        self.k = int(k)
        self.param_size = self.k
        self.action_size = self.k
        self.estimator = estimator
        self.temperature = float(temperature)
        self.one_hot = bool(getattr(estimator, "one_hot", False))
        self._estimator_takes_seed = estimator is not None and _accepts_seed(estimator.__call__)

    def sample(self, params, seed=None, temperature=None):
        t = self.temperature if temperature is None else temperature
        if self.estimator is not None:
            if self._estimator_takes_seed:
                return self.estimator(params, t, seed=seed)
            return self.estimator(params, t)
        # The original's soft sample, softmax((logits - log(-log(u))) / t): the same distribution as
        # TFP's RelaxedOneHotCategorical (a test checks), written out because the train step's
        # cost is per op and TFP's sampler takes several times as many.
        u = open_unit_uniform(tf.shape(params), params.dtype, seed)
        return tf.nn.softmax((params - tf.math.log(-tf.math.log(u))) / t, axis=-1)

    def mode(self, params):
        return tf.nn.softmax(params, axis=-1)

    def sample_np(self, params, rng):
        params = np.asarray(params, dtype=np.float64)
        noisy = params + _gumbel_np(params.shape, rng)
        if self.one_hot:
            # One-hot estimators hand the environment the Gumbel-argmax, their forward value.
            out = np.zeros_like(params)
            np.put_along_axis(out, noisy.argmax(axis=-1)[..., None], 1.0, axis=-1)
            return out.astype(np.float32)
        return _softmax_np(noisy / self.temperature).astype(np.float32)

    def mode_np(self, params):
        params = np.asarray(params, dtype=np.float64)
        if self.one_hot:
            out = np.zeros_like(params)
            np.put_along_axis(out, params.argmax(axis=-1)[..., None], 1.0, axis=-1)
            return out.astype(np.float32)
        return _softmax_np(params).astype(np.float32)


class SoftMultiCategorical(ActionDistribution):
    """MultiDiscrete: a soft categorical per sub-space, concatenated, each shifted by its `low`
    (the original adds low[i] to every entry of sub-space i; MPE spaces have low = 0)."""

    def __init__(self, low, high, estimator=None, temperature: float = 1.0):
        self.low = np.asarray(low, dtype=np.int64).reshape(-1)
        self.high = np.asarray(high, dtype=np.int64).reshape(-1)
        self.sizes = [int(n) for n in self.high - self.low + 1]
        self.parts = [SoftCategorical(n, estimator, temperature) for n in self.sizes]
        self.param_size = self.action_size = int(sum(self.sizes))
        self.one_hot = self.parts[0].one_hot

    def _map(self, params, fn):
        pieces = tf.split(params, self.sizes, axis=-1)
        return tf.concat([float(lo) + fn(i, p) for i, (lo, p) in enumerate(zip(self.low, pieces))], axis=-1)

    def sample(self, params, seed=None, temperature=None):
        # Each sub-space gets its own stateless seed, derived from the one given.
        seeds = [None] * len(self.parts) if seed is None else tf.unstack(
            tf.random.experimental.stateless_split(seed, len(self.parts)))
        return self._map(params, lambda i, p: self.parts[i].sample(p, seeds[i], temperature))

    def mode(self, params):
        return self._map(params, lambda i, p: self.parts[i].mode(p))

    def _map_np(self, params, fn):
        pieces = np.split(np.asarray(params), np.cumsum(self.sizes)[:-1], axis=-1)
        return np.concatenate([lo + fn(part, p) for lo, part, p in zip(self.low, self.parts, pieces)],
                              axis=-1).astype(np.float32)

    def sample_np(self, params, rng):
        return self._map_np(params, lambda part, p: part.sample_np(p, rng))

    def mode_np(self, params):
        return self._map_np(params, lambda part, p: part.mode_np(p))


class DiagGaussian(ActionDistribution):
    """Box(n): params = [mean, log_std] halves; sample mean + std * N(0, 1); mode the mean."""

    def __init__(self, size: int):
        self.action_size = int(size)
        self.param_size = 2 * self.action_size

    def sample(self, params, seed=None, temperature=None):
        mean, log_std = tf.split(params, 2, axis=-1)
        return tfd.Normal(mean, tf.exp(log_std)).sample(seed=seed)

    def mode(self, params):
        return tf.split(params, 2, axis=-1)[0]

    def sample_np(self, params, rng):
        mean, log_std = np.split(np.asarray(params, dtype=np.float64), 2, axis=-1)
        return (mean + np.exp(log_std) * rng.standard_normal(mean.shape)).astype(np.float32)

    def mode_np(self, params):
        return np.split(np.asarray(params), 2, axis=-1)[0].astype(np.float32)


class _Squash:
    """Maps R^k into a Box's bounds with tanh (dimensions with an infinite bound stay unsquashed)."""

    def __init__(self, low, high):
        low = np.asarray(low, np.float64).reshape(-1)
        high = np.asarray(high, np.float64).reshape(-1)
        self.low, self.high = low, high
        self.finite = np.isfinite(low) & np.isfinite(high)
        self.centre = np.where(self.finite, (low + high) / 2.0, 0.0)
        self.half = np.where(self.finite, (high - low) / 2.0, 1.0)
        self._all = bool(self.finite.all())

    def tf(self, x):
        y = tf.tanh(x) if self._all else tf.where(self.finite, tf.tanh(x), x)
        return self.centre.astype(np.float32) + self.half.astype(np.float32) * y

    def np(self, x):
        x = np.asarray(x, np.float64)
        y = np.tanh(x) if self._all else np.where(self.finite, np.tanh(x), x)
        return self.centre + self.half * y


class DeterministicBox(ActionDistribution):
    """Box(low, high) as DDPG acts: a deterministic actor, action = tanh(params) scaled into the
    bounds. Learning uses that action itself (target actions and the actor loss, as DDPG, MADDPG's
    deterministic policies and TD3); acting adds Gaussian exploration noise of std
    `noise` * (high - low) / 2 and clips to the bounds. The mode is the noiseless action."""

    def __init__(self, low, high, noise: float = 0.1):
        self.squash = _Squash(low, high)
        self.param_size = self.action_size = len(self.squash.low)
        self.noise = float(noise)

    def sample(self, params, seed=None, temperature=None):
        return self.squash.tf(params)

    def mode(self, params):
        return self.squash.tf(params)

    def sample_np(self, params, rng):
        q = self.squash
        a = q.np(params) + self.noise * q.half * rng.standard_normal(np.shape(params))
        return np.clip(a, q.low, q.high).astype(np.float32)

    def mode_np(self, params):
        return self.squash.np(params).astype(np.float32)


class SquashedGaussian(ActionDistribution):
    """Box(low, high) as a stochastic actor: params = [mean, log_std]; a reparameterised sample
    tanh(mean + std * N(0, 1)) scaled into the bounds, in acting and in learning (the original's
    DiagGaussian, squashed); mode tanh(mean) scaled. log_std is clipped to [-20, 2]."""

    def __init__(self, low, high):
        self.squash = _Squash(low, high)
        self.action_size = len(self.squash.low)
        self.param_size = 2 * self.action_size

    def sample(self, params, seed=None, temperature=None):
        mean, log_std = tf.split(params, 2, axis=-1)
        std = tf.exp(tf.clip_by_value(log_std, -20.0, 2.0))
        eps = tf.random.normal(tf.shape(mean)) if seed is None else tf.random.stateless_normal(tf.shape(mean), seed)
        return self.squash.tf(mean + std * eps)

    def mode(self, params):
        return self.squash.tf(tf.split(params, 2, axis=-1)[0])

    def sample_np(self, params, rng):
        mean, log_std = np.split(np.asarray(params, np.float64), 2, axis=-1)
        x = mean + np.exp(np.clip(log_std, -20.0, 2.0)) * rng.standard_normal(mean.shape)
        return self.squash.np(x).astype(np.float32)

    def mode_np(self, params):
        return self.squash.np(np.split(np.asarray(params), 2, axis=-1)[0]).astype(np.float32)


BOX_POLICIES = ("deterministic", "gaussian")


class Bernoulli(ActionDistribution):
    """MultiBinary(n): params are logits; sample 1 where u < sigmoid(logit); mode rounds the
    probability (0.5 rounds to 0, as tf.round)."""

    def __init__(self, size: int):
        self.param_size = self.action_size = int(size)

    def sample(self, params, seed=None, temperature=None):
        return tfd.Bernoulli(logits=params, dtype=params.dtype).sample(seed=seed)

    def mode(self, params):
        return tf.round(tf.sigmoid(params))

    def sample_np(self, params, rng):
        p = 1.0 / (1.0 + np.exp(-np.asarray(params, dtype=np.float64)))
        return (rng.random(p.shape) < p).astype(np.float32)

    def mode_np(self, params):
        p = 1.0 / (1.0 + np.exp(-np.asarray(params, dtype=np.float64)))
        return np.round(p).astype(np.float32)


def make_distribution(space, estimator=None, temperature: float = 1.0, box: Optional[str] = None,
                      noise: float = 0.1) -> ActionDistribution:
    """The original's choice of distribution for an action space (estimator: discrete parts only).

    box: None keeps the original's unsquashed DiagGaussian for Box spaces; 'deterministic' gives
    DeterministicBox (exploration noise `noise`), 'gaussian' SquashedGaussian."""
    kind = space_kind(space)
    if kind == "discrete":
        return SoftCategorical(space.n, estimator, temperature)
    if kind == "multi_discrete":
        low, high = multi_discrete_bounds(space)
        return SoftMultiCategorical(low, high, estimator, temperature)
    if kind == "box":
        shape = tuple(space.shape)
        if len(shape) != 1:
            raise ValueError(f"Box action spaces must be 1-D, got shape {shape}")
        if box == "deterministic":
            return DeterministicBox(space.low, space.high, noise)
        if box == "gaussian":
            return SquashedGaussian(space.low, space.high)
        if box is not None:
            raise ValueError(f"box must be one of {BOX_POLICIES}, got {box!r}")
        return DiagGaussian(shape[0])
    n = int(np.prod(np.asarray(space.n).reshape(-1)))
    return Bernoulli(n)


def make_distributions(act_spaces: Sequence, estimator=None, temperature: float = 1.0):
    return [make_distribution(s, estimator, temperature) for s in act_spaces]


def action_dims(act_spaces: Sequence) -> list:
    """Size of each agent's action vector (what the env receives and the critic reads)."""
    return [make_distribution(s).action_size for s in act_spaces]
