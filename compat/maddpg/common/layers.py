"""`tensorflow.contrib.layers` for model functions written for TF1, on TensorFlow 2.

A model function with the original's signature, e.g. train.py's

    def mlp_model(input, num_outputs, scope, reuse=False, num_units=64, rnn_cell=None):
        with tf.compat.v1.variable_scope(scope, reuse=reuse):
            out = layers.fully_connected(input, num_outputs=num_units, activation_fn=tf.nn.relu)
            ...

runs with `import maddpg.common.layers as layers` in place of `import tensorflow.contrib.layers as
layers`. MADDPGAgentTrainer wraps it in `TF1Model`: the function is called on real tensors, and the
layers create their variables on the first call and reuse them on every later one, under the names
TF1 gave them (`p_func/fully_connected/weights`, `.../fully_connected_1/biases`, ...), so checkpoints
keep the original's variable names. Any TensorFlow op may be used between layers. Variables created
any other way (tf.compat.v1.get_variable, Keras layers made inside the function) would be new on
every call; they are refused with a message.
"""
import collections
import contextlib
import threading

import numpy as np
import tensorflow as tf

_ACTIVE = threading.local()  # the TF1Model whose function is running


def _store():
    store = getattr(_ACTIVE, 'model', None)
    if store is None:
        raise RuntimeError('maddpg.common.layers are used inside a model function given to '
                           'MADDPGAgentTrainer (or wrapped in maddpg.common.layers.TF1Model)')
    return store


def _glorot_uniform(shape, dtype=tf.float32):
    fan_in, fan_out = int(shape[0]), int(shape[-1])
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return tf.random.uniform(shape, -limit, limit, dtype=dtype)


def _zeros(shape, dtype=tf.float32):
    return tf.zeros(shape, dtype=dtype)


def _initial(initializer, shape):
    if initializer is None:
        return None
    value = initializer(shape, dtype=tf.float32) if callable(initializer) else initializer
    return tf.cast(tf.broadcast_to(value, shape), tf.float32)


def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=_glorot_uniform, weights_regularizer=None,
                    biases_initializer=_zeros, biases_regularizer=None, reuse=None,
                    variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """activation_fn(inputs @ weights + biases), as tf.contrib.layers.fully_connected (glorot-uniform
    weights, zero biases, relu by default); normalizer_fn replaces the biases when given."""
    store = _store()
    x = tf.convert_to_tensor(inputs, tf.float32)
    with store.layer_scope(scope, 'fully_connected') as name:
        weights = store.variable(name + '/weights', [int(x.shape[-1]), int(num_outputs)],
                                 weights_initializer, trainable)
        out = tf.matmul(x, weights) if x.shape.rank == 2 else tf.tensordot(x, weights, [[-1], [0]])
        if normalizer_fn is not None:
            out = normalizer_fn(out, **(normalizer_params or {}))
        elif biases_initializer is not None:
            out = out + store.variable(name + '/biases', [int(num_outputs)], biases_initializer, trainable)
    return out if activation_fn is None else activation_fn(out)


def linear(inputs, num_outputs, scope=None, **kwargs):
    return fully_connected(inputs, num_outputs, activation_fn=None, scope=scope, **kwargs)


def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None, trainable=True,
               begin_norm_axis=1, begin_params_axis=-1, scope=None, **_ignored):
    """Normalises over the axes from begin_norm_axis on; learned beta (center) and gamma (scale)."""
    store = _store()
    x = tf.convert_to_tensor(inputs, tf.float32)
    rank = x.shape.rank
    norm_axes = list(range(begin_norm_axis % rank, rank))
    params_shape = [int(d) for d in x.shape[begin_params_axis % rank:]]
    with store.layer_scope(scope, 'LayerNorm') as name:
        mean, variance = tf.nn.moments(x, norm_axes, keepdims=True)
        beta = store.variable(name + '/beta', params_shape, _zeros, trainable) if center else None
        gamma = store.variable(name + '/gamma', params_shape, tf.ones, trainable) if scale else None
        out = tf.nn.batch_normalization(x, mean, variance, beta, gamma, 1e-12)
    return out if activation_fn is None else activation_fn(out)


def flatten(inputs, scope=None):
    x = tf.convert_to_tensor(inputs)
    return tf.reshape(x, [-1, int(np.prod(x.shape[1:]))])


class _Naming(object):
    def __init__(self):
        self.counts = collections.Counter()


class TF1Model(tf.Module):
    """A TF1-style model function as a TF2 module: fn(input, num_outputs, scope=scope, **kwargs).

    The first call (on zeros of [1, in_dim]) creates the variables; later calls, eager or inside a
    tf.function, reuse them by name.
    """

    def __init__(self, fn, in_dim, num_outputs, scope, **kwargs):
        super().__init__(name=scope)
        self.fn, self.scope, self.num_outputs, self.kwargs = fn, scope, int(num_outputs), kwargs
        self.store = collections.OrderedDict()  # TF1 name -> variable, in creation order
        self._building = True
        self._own_creation = False
        self._foreign = []
        out = self(tf.zeros([1, int(in_dim)], tf.float32))
        self._building = False
        if self._foreign:
            raise TypeError(
                'model %r created variables that maddpg.common.layers does not manage (%s): they would '
                'be created anew on every call. Build layers with maddpg.common.layers (fully_connected, '
                'layer_norm), or pass a function model(input_dim, num_outputs, num_units) that returns a '
                'Keras model' % (getattr(fn, '__name__', fn), ', '.join(self._foreign[:3])))
        if not self.store:
            raise TypeError('model %r created no variables through maddpg.common.layers: nothing to train'
                            % (getattr(fn, '__name__', fn),))
        if tuple(out.shape) != (1, self.num_outputs):
            raise ValueError('model %r returned shape %s for one input; expected [batch, %d]'
                             % (getattr(fn, '__name__', fn), list(out.shape), self.num_outputs))

    # ----- used by the layers
    def layer_scope(self, scope, default):
        """TF1's naming: `scope`, or default, default_1, ... within the current variable scope."""
        outer = tf.compat.v1.get_variable_scope().name
        if scope is None:
            key = (outer, default)
            k = self._naming.counts[key]
            self._naming.counts[key] += 1
            scope = default if k == 0 else '%s_%d' % (default, k)
        name = scope if not outer else outer + '/' + scope
        return contextlib.nullcontext(name)

    def variable(self, name, shape, initializer, trainable=True):
        var = self.store.get(name)
        if var is None:
            if not self._building:
                raise RuntimeError('model %r asked for a new variable %s after it was built: the layers '
                                   'a model function creates must be the same on every call'
                                   % (self.scope, name))
            value = _initial(initializer, shape)
            self._own_creation = True
            try:
                var = tf.Variable(value, trainable=trainable, name=name.replace('/', '_'))
            finally:
                self._own_creation = False
            self.store[name] = var
        elif var.shape.as_list() != list(shape):
            raise ValueError('model %r: layer %s has shape %s but was called with %s'
                             % (self.scope, name, var.shape.as_list(), list(shape)))
        return var

    # ----- the network interface the learner uses
    @property
    def variables_in_order(self):
        return list(self.store.values())

    def __call__(self, x):
        previous = getattr(_ACTIVE, 'model', None)
        _ACTIVE.model = self
        self._naming = _Naming()

        try:
            with tf.variable_creator_scope(self._watch_creation):
                return self.fn(tf.convert_to_tensor(x, tf.float32), self.num_outputs, scope=self.scope,
                               **self.kwargs)
        finally:
            _ACTIVE.model = previous

    def _watch_creation(self, next_creator, **kw):
        if not self._own_creation:
            if not self._building:
                raise RuntimeError('model %r created a variable (%s) on a later call: a model function '
                                   'must create its variables through maddpg.common.layers'
                                   % (self.scope, kw.get('name')))
            self._foreign.append(str(kw.get('name')))
        return next_creator(**kw)
