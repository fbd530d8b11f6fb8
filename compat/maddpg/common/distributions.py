"""The original's `maddpg.common.distributions` on TensorFlow 2 (eager tensors in, tensors out).

`make_pdtype(action_space)` picks the family the original picked: Box -> DiagGaussianPdType,
Discrete -> SoftCategoricalPdType, MultiDiscrete -> SoftMultiCategoricalPdType, MultiBinary ->
BernoulliPdType (gym, gymnasium and multiagent spaces alike). `pdtype.pdfromflat(flat)` gives a
distribution with `sample()`, `mode()`, `logp(x)`, `kl(other)`, `entropy()` and `flatparam()`.
TF2 has no placeholders: `sample_placeholder` / `param_placeholder` return the tf.TensorSpec
describing what the placeholder would have held. (The trainer itself uses maddpg_tf2.distributions,
which has the same sampling semantics and a seeded numpy mirror.)
"""
import numpy as np
import tensorflow as tf

from maddpg_tf2.distributions import space_kind, multi_discrete_bounds


def _uniform(shape):
    return tf.random.uniform(shape, minval=np.finfo(np.float32).tiny, maxval=1.0)


def _log_softmax_parts(logits):
    a0 = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
    z0 = tf.reduce_sum(tf.exp(a0), axis=-1, keepdims=True)
    return a0, z0


class Pd(object):
    """A particular probability distribution."""

    def flatparam(self):
        raise NotImplementedError

    def mode(self):
        raise NotImplementedError

    def logp(self, x):
        raise NotImplementedError

    def kl(self, other):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def sample(self):
        raise NotImplementedError

    @classmethod
    def fromflat(cls, flat):
        return cls(flat)


class PdType(object):
    """A parametrised family of distributions."""

    def pdclass(self):
        raise NotImplementedError

    def pdfromflat(self, flat):
        return self.pdclass()(flat)

    def param_shape(self):
        raise NotImplementedError

    def sample_shape(self):
        raise NotImplementedError

    def sample_dtype(self):
        raise NotImplementedError

    def param_placeholder(self, prepend_shape, name=None):
        return tf.TensorSpec(list(prepend_shape) + self.param_shape(), tf.float32, name=name)

    def sample_placeholder(self, prepend_shape, name=None):
        return tf.TensorSpec(list(prepend_shape) + self.sample_shape(), self.sample_dtype(), name=name)


class CategoricalPd(Pd):
    def __init__(self, logits):
        self.logits = tf.convert_to_tensor(logits, tf.float32)

    def flatparam(self):
        return self.logits

    def mode(self):
        return tf.argmax(self.logits, axis=-1)

    def logp(self, x):
        return -tf.nn.sparse_softmax_cross_entropy_with_logits(logits=self.logits, labels=x)

    def kl(self, other):
        a0, z0 = _log_softmax_parts(self.logits)
        a1, z1 = _log_softmax_parts(other.logits)
        return tf.reduce_sum(tf.exp(a0) / z0 * (a0 - tf.math.log(z0) - a1 + tf.math.log(z1)), axis=-1)

    def entropy(self):
        a0, z0 = _log_softmax_parts(self.logits)
        return tf.reduce_sum(tf.exp(a0) / z0 * (tf.math.log(z0) - a0), axis=-1)

    def sample(self):
        return tf.argmax(self.logits - tf.math.log(-tf.math.log(_uniform(tf.shape(self.logits)))), axis=-1)


class SoftCategoricalPd(CategoricalPd):
    """The original's relaxed sample: softmax(logits - log(-log(u))) (Gumbel-softmax at temperature 1)."""

    def mode(self):
        return tf.nn.softmax(self.logits, axis=-1)

    def logp(self, x):
        return -tf.nn.softmax_cross_entropy_with_logits(logits=self.logits, labels=x)

    def sample(self):
        return tf.nn.softmax(self.logits - tf.math.log(-tf.math.log(_uniform(tf.shape(self.logits)))), axis=-1)


class MultiCategoricalPd(Pd):
    def __init__(self, low, high, flat):
        self.flat = tf.convert_to_tensor(flat, tf.float32)
        self.low = tf.constant(np.asarray(low), dtype=tf.int32)
        sizes = [int(s) for s in np.asarray(high) - np.asarray(low) + 1]
        self.categoricals = [CategoricalPd(p) for p in tf.split(self.flat, sizes, axis=-1)]

    def flatparam(self):
        return self.flat

    def mode(self):
        return self.low + tf.cast(tf.stack([p.mode() for p in self.categoricals], axis=-1), tf.int32)

    def logp(self, x):
        parts = tf.unstack(tf.convert_to_tensor(x) - self.low, axis=-1)
        return tf.add_n([p.logp(px) for p, px in zip(self.categoricals, parts)])

    def kl(self, other):
        return tf.add_n([p.kl(q) for p, q in zip(self.categoricals, other.categoricals)])

    def entropy(self):
        return tf.add_n([p.entropy() for p in self.categoricals])

    def sample(self):
        return self.low + tf.cast(tf.stack([p.sample() for p in self.categoricals], axis=-1), tf.int32)


class SoftMultiCategoricalPd(MultiCategoricalPd):
    """A soft categorical per sub-space, concatenated, each entry shifted by its sub-space's low."""

    def __init__(self, low, high, flat):
        super().__init__(low, high, flat)
        self.low = tf.constant(np.asarray(low), dtype=tf.float32)
        self.categoricals = [SoftCategoricalPd(p.logits) for p in self.categoricals]

    def mode(self):
        return tf.concat([self.low[i] + p.mode() for i, p in enumerate(self.categoricals)], axis=-1)

    def logp(self, x):
        sizes = [int(p.logits.shape[-1]) for p in self.categoricals]
        parts = tf.split(tf.convert_to_tensor(x, tf.float32), sizes, axis=-1)
        return tf.add_n([p.logp(px - self.low[i]) for i, (p, px) in enumerate(zip(self.categoricals, parts))])

    def sample(self):
        return tf.concat([self.low[i] + p.sample() for i, p in enumerate(self.categoricals)], axis=-1)


class DiagGaussianPd(Pd):
    def __init__(self, flat):
        self.flat = tf.convert_to_tensor(flat, tf.float32)
        self.mean, self.logstd = tf.split(self.flat, 2, axis=-1)
        self.std = tf.exp(self.logstd)

    def flatparam(self):
        return self.flat

    def mode(self):
        return self.mean

    def logp(self, x):
        x = tf.convert_to_tensor(x, tf.float32)
        return (-0.5 * tf.reduce_sum(tf.square((x - self.mean) / self.std), axis=-1)
                - 0.5 * np.log(2.0 * np.pi) * tf.cast(tf.shape(x)[-1], tf.float32)
                - tf.reduce_sum(self.logstd, axis=-1))

    def kl(self, other):
        return tf.reduce_sum(other.logstd - self.logstd + (tf.square(self.std) + tf.square(self.mean - other.mean))
                             / (2.0 * tf.square(other.std)) - 0.5, axis=-1)

    def entropy(self):
        return tf.reduce_sum(self.logstd + 0.5 * np.log(2.0 * np.pi * np.e), axis=-1)

    def sample(self):
        return self.mean + self.std * tf.random.normal(tf.shape(self.mean))


class BernoulliPd(Pd):
    def __init__(self, logits):
        self.logits = tf.convert_to_tensor(logits, tf.float32)
        self.ps = tf.sigmoid(self.logits)

    def flatparam(self):
        return self.logits

    def mode(self):
        return tf.round(self.ps)

    def logp(self, x):
        return -tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=self.logits, labels=tf.cast(x, tf.float32)), axis=-1)

    def kl(self, other):
        return (tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(logits=other.logits, labels=self.ps), axis=-1)
                - self.entropy())

    def entropy(self):
        return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(logits=self.logits, labels=self.ps), axis=-1)

    def sample(self):
        return tf.cast(_uniform(tf.shape(self.ps)) < self.ps, tf.float32)


class CategoricalPdType(PdType):
    def __init__(self, ncat):
        self.ncat = int(ncat)

    def pdclass(self):
        return CategoricalPd

    def param_shape(self):
        return [self.ncat]

    def sample_shape(self):
        return []

    def sample_dtype(self):
        return tf.int32


class SoftCategoricalPdType(CategoricalPdType):
    def pdclass(self):
        return SoftCategoricalPd

    def sample_shape(self):
        return [self.ncat]

    def sample_dtype(self):
        return tf.float32


class MultiCategoricalPdType(PdType):
    def __init__(self, low, high):
        self.low, self.high = np.asarray(low), np.asarray(high)
        self.ncats = self.high - self.low + 1

    def pdclass(self):
        return MultiCategoricalPd

    def pdfromflat(self, flat):
        return MultiCategoricalPd(self.low, self.high, flat)

    def param_shape(self):
        return [int(sum(self.ncats))]

    def sample_shape(self):
        return [len(self.ncats)]

    def sample_dtype(self):
        return tf.int32


class SoftMultiCategoricalPdType(MultiCategoricalPdType):
    def pdclass(self):
        return SoftMultiCategoricalPd

    def pdfromflat(self, flat):
        return SoftMultiCategoricalPd(self.low, self.high, flat)

    def sample_shape(self):
        return [int(sum(self.ncats))]

    def sample_dtype(self):
        return tf.float32


class DiagGaussianPdType(PdType):
    def __init__(self, size):
        self.size = int(size)

    def pdclass(self):
        return DiagGaussianPd

    def param_shape(self):
        return [2 * self.size]

    def sample_shape(self):
        return [self.size]

    def sample_dtype(self):
        return tf.float32


class BernoulliPdType(PdType):
    def __init__(self, size):
        self.size = int(size)

    def pdclass(self):
        return BernoulliPd

    def param_shape(self):
        return [self.size]

    def sample_shape(self):
        return [self.size]

    def sample_dtype(self):
        return tf.int32


def make_pdtype(ac_space):
    kind = space_kind(ac_space)
    if kind == "box":
        assert len(ac_space.shape) == 1
        return DiagGaussianPdType(ac_space.shape[0])
    if kind == "discrete":
        return SoftCategoricalPdType(ac_space.n)
    if kind == "multi_discrete":
        return SoftMultiCategoricalPdType(*multi_discrete_bounds(ac_space))
    return BernoulliPdType(int(np.prod(np.asarray(ac_space.n).reshape(-1))))


def shape_el(v, i):
    maybe = v.shape[i]
    return maybe if maybe is not None else tf.shape(v)[i]
