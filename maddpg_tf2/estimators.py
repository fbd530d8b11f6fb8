"""Discrete gradient estimators for the actor update of MADDPG.

An estimator maps logits `[B, k]` to the action the critic and the environment see (its forward
value) and defines the gradient that flows back into the logits. All TensorFlow paths are pure ops,
so they run inside `tf.function(jit_compile=True)`; `sample_numpy` is the gradient-free forward used
for acting.

    gumbel  original MADDPG: the soft Gumbel-softmax vector, forward = gradient path.
    stgs    straight-through Gumbel-softmax (Jang et al. 2017): forward one-hot argmax of the perturbed
            logits, gradient of the soft sample.
    tags    stgs with a temperature annealed by the learner (`tags_temperature`).
    grmck   Gumbel-Rao Monte Carlo (Paulus et al. 2020): forward a categorical sample D, gradient of the
            mean of K soft samples whose Gumbel noise is drawn conditionally on the argmax being D.
    gst     gapped straight-through (Fan et al. 2022): forward a categorical sample D, gradient of a
            softmax over logits moved (without gradient) so that D is the largest by at least `gap`.

Randomness: every call takes an optional stateless seed (int tensor of shape [2]); with None it falls
back to TensorFlow's global generator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

ESTIMATORS = ("gumbel", "stgs", "grmck", "gst", "tags")


# ----------------------------------------------------------------------------- noise

_TINY = float(np.finfo(np.float32).tiny)


def _uniform(shape, seed):
    """float32 U(0, 1) without 0, so that log(u) and log(-log(u)) stay finite."""
    if seed is None:
        return tf.random.uniform(shape, minval=_TINY, maxval=1.0)
    # From raw Philox bits: the float conversion TensorFlow picks differs between eager and XLA,
    # the bits do not, and one seed must give one draw whether or not the train step is compiled.
    bits = tf.random.stateless_uniform(shape, seed=seed, minval=None, maxval=None,
                                       dtype=tf.uint32, alg="philox")
    u = tf.cast(tf.bitwise.right_shift(bits, 8), tf.float32) * (2.0 ** -24)  # exact, < 1
    return tf.maximum(u, _TINY)


def gumbel_noise(shape, dtype=tf.float32, seed=None):
    """Standard Gumbel(0, 1) noise (drawn in float32)."""
    return tf.cast(-tf.math.log(-tf.math.log(_uniform(shape, seed))), dtype)


def split_seed(seed, n):
    """n independent stateless seeds from one (n Nones from None); the estimators' own draw order."""
    if seed is None:
        return [None] * n
    seed = tf.convert_to_tensor(seed)
    return [tf.random.experimental.stateless_fold_in(seed, i, alg="philox") for i in range(n)]


def _one_hot_argmax(x):
    return tf.one_hot(tf.argmax(x, axis=-1), tf.shape(x)[-1], dtype=x.dtype)


def _straight_through(forward, surrogate):
    # `s - stop_gradient(s)` is exactly zero, so the forward value is `forward` to the last bit
    # (the usual `hard - stop(soft) + soft` can be off by one ulp).
    return forward + (surrogate - tf.stop_gradient(surrogate))


def categorical_one_hot(logits, seed=None):
    """One-hot sample of Categorical(softmax(logits)) via the Gumbel-max trick (XLA friendly)."""
    logits = tf.stop_gradient(logits)
    return _one_hot_argmax(logits + gumbel_noise(tf.shape(logits), logits.dtype, seed))


# ----------------------------------------------------------------------------- constructions

def conditional_gumbel(logits, d_onehot, k, seed=None):
    """K draws of Gumbel(0, 1) noise g `[k, B, n]` conditioned on argmax(logits + g) = D.

    Construction (Maddison et al. 2014; Paulus et al. 2020): the maximum of logits + G is
    Gumbel(logsumexp(logits)) and is attained at D; every other perturbed logit is a Gumbel located
    at its logit and truncated below that maximum. With E ~ Exp(1):
        top   = logZ - log(E_D)
        z_j   = -log(exp(-top) + E_j * exp(-logit_j))          (j != D)
    In float arithmetic z_j can round up to `top` (or past it once the caller adds logits back), so
    the non-chosen values are kept 32 eps (relative) below it, which leaves the argmax at D for
    every draw; this moves only draws that were already within rounding of a tie.
    No gradient flows through the noise.
    """
    logits = tf.stop_gradient(logits)
    d = tf.cast(tf.stop_gradient(d_onehot), logits.dtype)
    shape = tf.concat([[k], tf.shape(logits)], axis=0)
    e = tf.cast(-tf.math.log(_uniform(shape, seed)), logits.dtype)   # [k, B, n] ~ Exp(1)
    log_z = tf.reduce_logsumexp(logits, axis=-1, keepdims=True)      # [B, 1]
    log_e_d = tf.reduce_sum(d * tf.math.log(e), axis=-1, keepdims=True)
    top = log_z - log_e_d                                            # [k, B, 1]
    # -logaddexp(-top, log E_j - logit_j), written with a stable log-sum-exp.
    trunc = -tf.reduce_logsumexp(
        tf.stack([-top + tf.zeros_like(e), tf.math.log(e) - logits], axis=-1), axis=-1)
    # Keep the argmax at D in floats: the caller forms logits + g, so clamp what it will see.
    g_d = top - tf.reduce_sum(d * logits, axis=-1, keepdims=True)
    z_d = tf.reduce_sum(d * logits, axis=-1, keepdims=True) + g_d    # as the caller rounds it
    eps = float(np.finfo(logits.dtype.as_numpy_dtype).eps)
    margin = 32.0 * eps * (1.0 + tf.abs(z_d) + tf.abs(logits))
    g_other = tf.minimum(trunc, z_d - margin) - logits
    # tf.where, not a d-weighted sum, so the chosen entry is g_d bit for bit.
    return tf.where(d > 0.5, g_d, g_other)


def gst_shift(logits, d_onehot, gap=1.0):
    """The (gradient-free) move m of the gapped straight-through estimator.

    logits + m puts the chosen class D at the maximum logit and every other class at most `gap` below
    it; classes already that far below are not moved (Fan et al. 2022, "GST" with a fixed gap).
    """
    logits = tf.stop_gradient(logits)
    d = tf.cast(tf.stop_gradient(d_onehot), logits.dtype)
    top = tf.reduce_max(logits, axis=-1, keepdims=True)
    chosen = tf.reduce_sum(d * logits, axis=-1, keepdims=True)
    up = d * (top - chosen)
    down = (1.0 - d) * tf.nn.relu(logits + gap - top)
    return up - down


# ----------------------------------------------------------------------------- estimators

@dataclass(frozen=True)
class Estimator:
    """Callable `(logits [B, k], temperature=None, seed=None) -> action [B, k]`.

    `temperature` given per call overrides the construction value (TAGS gets its scheduled value
    this way). `one_hot` says whether the forward value is a one-hot action.
    """
    name: str
    temperature: float = 1.0
    rao_k: int = 1
    gst_gap: float = 1.0

    @property
    def one_hot(self) -> bool:
        return self.name != "gumbel"

    def __call__(self, logits, temperature=None, seed=None):
        logits = tf.convert_to_tensor(logits)
        tau = self.temperature if temperature is None else temperature
        tau = tf.cast(tau, logits.dtype)
        if self.name == "gumbel":
            g = gumbel_noise(tf.shape(logits), logits.dtype, seed)
            return tf.nn.softmax((logits + g) / tau, axis=-1)
        if self.name in ("stgs", "tags"):
            g = gumbel_noise(tf.shape(logits), logits.dtype, seed)
            perturbed = logits + g
            soft = tf.nn.softmax(perturbed / tau, axis=-1)
            return _straight_through(_one_hot_argmax(tf.stop_gradient(perturbed)), soft)
        seed_d, seed_g = split_seed(seed, 2)
        d = categorical_one_hot(logits, seed_d)
        if self.name == "grmck":
            g = conditional_gumbel(logits, d, self.rao_k, seed_g)              # [K, B, k]
            soft = tf.reduce_mean(tf.nn.softmax((logits[None] + g) / tau, axis=-1), axis=0)
            return _straight_through(d, soft)
        # gst
        m = gst_shift(logits, d, self.gst_gap)
        return _straight_through(d, tf.nn.softmax((logits + m) / tau, axis=-1))


def make_estimator(name: str, temperature: float = 1.0, rao_k: int = 1,
                   gst_gap: float = 1.0) -> Estimator:
    """The estimator called `name` (one of ESTIMATORS)."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown gradient estimator {name!r}; expected one of {ESTIMATORS}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if int(rao_k) < 1:
        raise ValueError(f"rao_k must be at least 1, got {rao_k}")
    if gst_gap < 0:
        raise ValueError(f"gst_gap must be non-negative, got {gst_gap}")
    return Estimator(name, float(temperature), int(rao_k), float(gst_gap))


def apply_to_multi(estimator, logits, sizes: Sequence[int], temperature=None, seed=None):
    """Apply `estimator` to each sub-space of a MultiDiscrete action (split of the last axis)."""
    parts = tf.split(logits, list(sizes), axis=-1)
    seeds = split_seed(seed, len(parts))
    return tf.concat([estimator(p, temperature=temperature, seed=s)
                      for p, s in zip(parts, seeds)], axis=-1)


def tags_temperature(update_step, start, end, period):
    """TAGS schedule: start * (end / start) ** (step / period), held at `end` after `period` rounds.

    Plain Python numbers give a float; any tensor argument gives a float32 tensor (usable in a
    compiled step with the step counter as a variable).
    """
    if any(tf.is_tensor(x) for x in (update_step, start, end, period)):
        step = tf.cast(update_step, tf.float32)
        start = tf.cast(start, tf.float32)
        end = tf.cast(end, tf.float32)
        frac = tf.clip_by_value(step / tf.cast(period, tf.float32), 0.0, 1.0)
        return start * tf.pow(end / start, frac)
    frac = min(max(float(update_step) / float(period), 0.0), 1.0)
    return float(start) * (float(end) / float(start)) ** frac


# ----------------------------------------------------------------------------- acting (numpy)

def sample_numpy(name: str, logits: np.ndarray, rng: np.random.Generator,
                 temperature: float = 1.0) -> np.ndarray:
    """Forward value of estimator `name` without gradients: `[E, k]` float32.

    gumbel gives the soft vector; every other estimator gives a one-hot argmax(logits + Gumbel),
    which is distributed as Categorical(softmax(logits)), the forward law of stgs/tags and of
    grmck/gst alike (the temperature does not change the argmax).
    """
    if name not in ESTIMATORS:
        raise ValueError(f"unknown gradient estimator {name!r}; expected one of {ESTIMATORS}")
    logits = np.asarray(logits, dtype=np.float32)
    u = rng.uniform(np.finfo(np.float32).tiny, 1.0, size=logits.shape).astype(np.float32)
    perturbed = logits - np.log(-np.log(u))
    if name == "gumbel":
        x = perturbed / np.float32(temperature)
        x = np.exp(x - x.max(axis=-1, keepdims=True))
        return (x / x.sum(axis=-1, keepdims=True)).astype(np.float32)
    out = np.zeros_like(logits)
    np.put_along_axis(out, perturbed.argmax(axis=-1)[..., None], 1.0, axis=-1)
    return out


# ----------------------------------------------------------------------------- diagnostics

def gradient_variance(grads_list: List[List]) -> Dict[str, tf.Tensor]:
    """Spread of R gradient estimates of the same parameters (R >= 2 for a meaningful value).

    `grads_list[r][v]` is draw r's gradient of variable v (None entries are skipped). With all
    parameters flattened into one vector g_r of length P and mean  g_bar = 1/R sum_r g_r:
      elementwise_variance = 1/P sum_p Var_r(g_r[p])             (population variance, /R)
                           = mean over parameters of the per-parameter variance across draws
      norm_variance        = 1/R sum_r ||g_r - g_bar||^2  = E||g - E g||^2 = P * elementwise_variance
    The first is comparable across networks of different sizes; the second is the trace of the
    gradient covariance.
    """
    if len(grads_list) < 1:
        raise ValueError("need at least one gradient estimate")
    flat = []
    for grads in grads_list:
        parts = [tf.reshape(tf.cast(g, tf.float32), [-1]) for g in grads if g is not None]
        flat.append(tf.concat(parts, axis=0))
    g = tf.stack(flat, axis=0)                                      # [R, P]
    dev = g - tf.reduce_mean(g, axis=0, keepdims=True)
    per_param = tf.reduce_mean(tf.square(dev), axis=0)              # [P]
    return {
        "elementwise_variance": tf.reduce_mean(per_param),
        "norm_variance": tf.reduce_sum(per_param),
    }
