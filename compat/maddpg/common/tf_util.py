"""The original's `maddpg.common.tf_util` (imported as `U`) with TensorFlow 2 meanings.

TF2 runs eagerly: there is no graph to build and no session to run it in, and variables hold values
from the moment they exist. The names scripts derived from the original train.py use keep working:

- `single_threaded_session()` / `make_session(num_cpu)`: a context manager (`with ...:`) that sets
  TensorFlow's thread pools (when its runtime has not started yet) and is the "default session";
  `get_session()` returns it.
- `initialize()`: nothing to initialise (kept so scripts run; returns the number of new variables).
- `save_state(path, saver=None)` / `load_state(path, saver=None)`: the weights, targets and Adam
  state of every `MADDPGAgentTrainer` created in the open session (or alive, outside sessions), in a name-based checkpoint under the original's variable names
  (`agent_0/p_func/fully_connected/weights`, ...). `path` is a file prefix as for TF1's Saver (the
  original passes the save folder itself, giving `<dir>/.index`); checkpoints written by the
  original code load the same way. `Saver` replaces `tf.train.Saver` (`saver = U.Saver()`).
- `function(inputs, outputs, givens=None)`: a callable over symbolic inputs made with
  `BatchInput(shape).get()` (Keras inputs) and outputs computed from them with Keras-traceable
  operations. TF1 `updates` (assign ops) do not exist in TF2 and are refused with a message.
- the reductions (`sum`, `mean`, `var`, `std`, `max`, `min`, `concatenate`, `argmax`, `softmax`),
  `huber_loss`, `minimize_and_clip` (per-variable clipping on a TF2 optimizer), `scope_vars`,
  `scope_name`, `absolute_scope_name`.
"""
import collections
import gc
import os
import weakref

import numpy as np

from maddpg_tf2.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()
import tensorflow as tf  # noqa: E402


# ================================================================ reductions (TF2 ops)

def _axes(axis):
    return None if axis is None else [axis]


def sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(x, axis=_axes(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return tf.reduce_mean(x, axis=_axes(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    meanx = mean(x, axis=axis, keepdims=True)
    return mean(tf.square(x - meanx), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return tf.sqrt(var(x, axis=axis, keepdims=keepdims))


def max(x, axis=None, keepdims=False):
    return tf.reduce_max(x, axis=_axes(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return tf.reduce_min(x, axis=_axes(axis), keepdims=keepdims)


def concatenate(arrs, axis=0):
    return tf.concat(arrs, axis=axis)


def argmax(x, axis=None):
    return tf.argmax(x, axis=axis)


def softmax(x, axis=None):
    return tf.nn.softmax(x, axis=-1 if axis is None else axis)


def huber_loss(x, delta=1.0):
    return tf.where(tf.abs(x) < delta, tf.square(x) * 0.5, delta * (tf.abs(x) - 0.5 * delta))


def minimize_and_clip(optimizer, objective, var_list, clip_val=10):
    """One step of `optimizer` (a TF2/Keras optimizer) on `objective` (a zero-argument callable
    returning the loss, as TF2 needs to record gradients), each variable's gradient clipped to norm
    clip_val on its own. Returns the loss."""
    if not callable(objective):
        raise TypeError('minimize_and_clip: in TensorFlow 2 the objective must be a callable that '
                        'computes the loss (lambda: loss_fn(...)), not a tensor')
    with tf.GradientTape() as tape:
        loss = objective()
    grads = tape.gradient(loss, var_list)
    if clip_val is not None:
        grads = [None if g is None else tf.clip_by_norm(g, clip_val) for g in grads]
    optimizer.apply_gradients([(g, v) for g, v in zip(grads, var_list) if g is not None])
    return loss


# ================================================================ inputs and functions

def _keras():
    import tf_keras
    return tf_keras


class TfInput(object):
    def __init__(self, name="(unnamed)"):
        self.name = name

    def get(self):
        raise NotImplementedError()

    def make_feed_dict(self, data):
        raise NotImplementedError()


class PlacholderTfInput(TfInput):
    """Wraps a symbolic input (the original wrapped a placeholder; its spelling is kept)."""

    def __init__(self, placeholder):
        super().__init__(placeholder.name)
        self._placeholder = placeholder

    def get(self):
        return self._placeholder

    def make_feed_dict(self, data):
        return {self._placeholder: data}


PlaceholderTfInput = PlacholderTfInput


class BatchInput(PlacholderTfInput):
    """A batch of tensors of the given shape: a Keras symbolic input of shape [None] + shape."""

    def __init__(self, shape, dtype=tf.float32, name=None):
        super().__init__(_keras().Input(shape=tuple(int(d) for d in shape), dtype=dtype, name=name))


class Uint8Input(PlacholderTfInput):
    """uint8 input, seen by the model as float32 / 255."""

    def __init__(self, shape, name=None):
        super().__init__(_keras().Input(shape=tuple(int(d) for d in shape), dtype=tf.uint8, name=name))
        self._output = tf.cast(self._placeholder, tf.float32) / 255.0

    def get(self):
        return self._output


def is_placeholder(x):
    return _keras().backend.is_keras_tensor(x) if hasattr(x, 'shape') else False


def ensure_tf_input(thing):
    if isinstance(thing, TfInput):
        return thing
    if is_placeholder(thing):
        return PlacholderTfInput(thing)
    raise ValueError('Must be a symbolic input (BatchInput(...).get()) or TfInput')


def _input_name(inpt):
    name = inpt.name if isinstance(inpt, TfInput) else getattr(inpt, 'name', '')
    return name.split(':')[0].split('/')[-1]


def function(inputs, outputs, updates=None, givens=None):
    """f(*values) -> outputs, from symbolic `inputs` (BatchInput(shape).get()) and `outputs`
    computed from them; outputs a list, a dict or one tensor, returned in the same form as numpy.
    Inputs may also be passed by name; `givens` maps inputs to default values, keyed by the input's
    name or `input.ref()` (Keras tensors cannot be dict keys themselves)."""
    if updates:
        raise NotImplementedError(
            'U.function(updates=...): TF1 update ops do not exist in TensorFlow 2. Apply the update in '
            'Python (e.g. optimizer.apply_gradients in a tf.GradientTape), or use MADDPGAgentTrainer, '
            'whose q_train / p_train / q_update / p_update are TF2 functions')
    if isinstance(outputs, list):
        return _Function(inputs, outputs, givens)
    if isinstance(outputs, (dict, collections.OrderedDict)):
        f = _Function(inputs, list(outputs.values()), givens)
        return lambda *args, **kwargs: type(outputs)(zip(outputs.keys(), f(*args, **kwargs)))
    f = _Function(inputs, [outputs], givens)
    return lambda *args, **kwargs: f(*args, **kwargs)[0]


class _Function(object):
    def __init__(self, inputs, outputs, givens=None):
        self.inputs = list(inputs)
        raw = [i._placeholder if isinstance(i, TfInput) else i for i in self.inputs]
        self.givens = {} if givens is None else dict(givens)
        self._model = _keras().Model(raw, list(outputs)) if outputs else None

    def __call__(self, *args, **kwargs):
        assert len(args) <= len(self.inputs), 'Too many arguments provided'
        values = list(args)
        for inpt in self.inputs[len(args):]:
            name = _input_name(inpt)
            if name in kwargs:
                values.append(kwargs.pop(name))
            else:
                key = (inpt._placeholder if isinstance(inpt, TfInput) else inpt).ref()
                given = [v for g, v in self.givens.items()
                         if (g == name if isinstance(g, str) else (g is key or g.deref() is key.deref()))]
                assert given, 'Missing argument ' + name
                values.append(given[0])
        assert not kwargs, 'Function got extra arguments ' + str(list(kwargs.keys()))
        if self._model is None:
            return []
        out = self._model([np.asarray(v) for v in values], training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(o) for o in out]


# ================================================================ sessions

class Session(object):
    """The stand-in for a TF1 session: a context that sets the thread pools and is the default
    session while open. `run(x)` evaluates tensors, variables or callables to numpy."""

    _stack = []

    def __init__(self, num_cpu=None):
        self.num_cpu = num_cpu
        self.trainers = collections.OrderedDict()  # the trainers created while this session was open
        if num_cpu:
            from maddpg_tf2.tf_threads import configure_tf_threads
            configure_tf_threads(num_cpu, num_cpu)

    def __enter__(self):
        Session._stack.append(self)
        return self

    def __exit__(self, *exc):
        if Session._stack and Session._stack[-1] is self:
            Session._stack.pop()
        return False

    def as_default(self):
        return self

    def run(self, fetches, feed_dict=None):
        if feed_dict:
            raise NotImplementedError('Session.run(feed_dict=...): TensorFlow 2 has no placeholders to '
                                      'feed; call a U.function or the model directly')
        return tf.nest.map_structure(
            lambda x: np.asarray(x() if callable(x) and not hasattr(x, 'numpy') else x), fetches)

    def close(self):
        pass


def get_session():
    """The innermost open session (a default one when none is open)."""
    return Session._stack[-1] if Session._stack else Session()


def make_session(num_cpu):
    """A session whose TensorFlow uses num_cpu threads (set only before TensorFlow's first op)."""
    return Session(num_cpu)


def single_threaded_session():
    return make_session(1)


ALREADY_INITIALIZED = set()


def initialize():
    """TF2 variables are initialised when created: nothing to do. Returns how many trainers'
    variables were new since the last call (the original initialised those)."""
    new = [id(t) for t in _live_trainers() if id(t) not in ALREADY_INITIALIZED]
    ALREADY_INITIALIZED.update(new)
    return len(new)


def reset_default_graph():
    """What tf.reset_default_graph() was to the original: the trainers created so far leave the
    "graph", so save_state / load_state / Saver see only those created afterwards."""
    _registry().clear()
    _TRAINERS.clear()
    ALREADY_INITIALIZED.clear()


# ================================================================ trainers and their variables

_TRAINERS = collections.OrderedDict()  # name -> weakref, trainers created outside any session


def _registry():
    return Session._stack[-1].trainers if Session._stack else _TRAINERS


def register_trainer(trainer):
    """Called by MADDPGAgentTrainer: its variables are what save_state / load_state handle from now
    on, in the open session (or, outside any, in the process); a later trainer of the same name
    replaces it, as building a fresh graph would."""
    registry = _registry()
    registry.pop(trainer.name, None)
    registry[trainer.name] = weakref.ref(trainer)


def _live_trainers():
    """The open session's trainers (all of the process's when none is open or it has none)."""
    gc.collect()  # trainers no longer used but still in reference cycles are not "in the graph"
    registry = _registry() if _registry() else _TRAINERS
    alive = [(name, ref()) for name, ref in registry.items()]
    for name, t in alive:
        if t is None:
            del registry[name]
    return [t for _, t in alive if t is not None]


def global_variables():
    """Original-style name -> variable, for every live trainer (weights, targets, Adam state)."""
    out = collections.OrderedDict()
    for trainer in _live_trainers():
        out.update(trainer.original_variables())
    return out


def scope_vars(scope, trainable_only=False):
    """The variables whose original-style name starts with `scope` (e.g. 'agent_0/p_func')."""
    scope = scope if isinstance(scope, str) else scope.name
    return [v for name, v in global_variables().items()
            if (name == scope or name.startswith(scope.rstrip('/') + '/'))
            and (v.trainable or not trainable_only)]


def scope_name():
    return tf.compat.v1.get_variable_scope().name


def absolute_scope_name(relative_scope_name):
    return scope_name() + '/' + relative_scope_name


# ================================================================ saving variables

class Saver(object):
    """Writes and reads name-based checkpoints of the trainers' variables (what `tf.train.Saver()`
    was to the original). var_list: a dict name -> variable (default: every live trainer's)."""

    def __init__(self, var_list=None, max_to_keep=5, **_ignored):
        self._var_list = var_list
        self.max_to_keep = max_to_keep
        self._recent = []

    def _variables(self):
        if self._var_list is None:
            return global_variables()
        if isinstance(self._var_list, dict):
            return collections.OrderedDict(self._var_list)
        return collections.OrderedDict((v.name.split(':')[0], v) for v in self._var_list)

    def save(self, sess=None, save_path=None, global_step=None, **_ignored):
        from maddpg_tf2 import fileio
        from maddpg_tf2.errors import UserError

        if save_path is None:
            save_path, sess = sess, None
        prefix = os.fspath(save_path)
        if global_step is not None:
            prefix = '%s-%d' % (prefix, int(global_step))
        variables = self._variables()
        if not variables:
            raise UserError('save_state: there are no variables to save (create the MADDPGAgentTrainer '
                            'objects first)')
        folder = os.path.dirname(os.path.abspath(prefix + 'x'))
        os.makedirs(folder, exist_ok=True)
        # Written under a temporary prefix and renamed into place: a crash leaves the old files.
        tmp = os.path.join(folder, '.tmp-%d-%s' % (os.getpid(), os.path.basename(prefix) or 'ckpt'))
        names = list(variables)
        tf.raw_ops.SaveV2(prefix=tmp, tensor_names=names, shape_and_slices=[''] * len(names),
                          tensors=[variables[n].read_value() for n in names])
        os.replace(tmp + '.data-00000-of-00001', prefix + '.data-00000-of-00001')
        os.replace(tmp + '.index', prefix + '.index')
        self._recent = [p for p in self._recent if p != prefix] + [prefix]
        if self.max_to_keep and len(self._recent) > self.max_to_keep:
            for old in self._recent[:-self.max_to_keep]:
                for suffix in ('.index', '.data-00000-of-00001'):
                    if os.path.exists(old + suffix):
                        os.remove(old + suffix)
            self._recent = self._recent[-self.max_to_keep:]
        state = 'model_checkpoint_path: "%s"\n' % _absolute(prefix) + ''.join(
            'all_model_checkpoint_paths: "%s"\n' % _absolute(p) for p in self._recent)
        fileio.write_text(os.path.join(folder, 'checkpoint'), state)
        return prefix

    def restore(self, sess=None, save_path=None):
        if save_path is None:
            save_path, sess = sess, None
        _restore(os.fspath(save_path), self._variables())


def _absolute(prefix):
    """The absolute prefix, keeping a trailing separator (the original's prefix is a folder + '/')."""
    absolute = os.path.abspath(prefix)
    return os.path.join(absolute, '') if prefix.endswith(os.sep) else absolute


def _resolve(prefix):
    """The checkpoint prefix to read: the path itself, or the latest one recorded in a folder."""
    if os.path.exists(prefix + '.index'):
        return prefix
    if os.path.isdir(prefix):
        latest = tf.train.latest_checkpoint(prefix)
        if latest and os.path.exists(latest + '.index'):
            return latest
    return None


def _restore(path, variables):
    from maddpg_tf2.errors import UserError

    prefix = _resolve(path)
    if prefix is None:
        raise UserError('load_state: no checkpoint at %s (expected %s.index, or a folder holding a '
                        '"checkpoint" file); give the prefix or folder save_state wrote' % (path, path))
    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    shapes = reader.get_variable_to_shape_map()
    if '_CHECKPOINTABLE_OBJECT_GRAPH' in shapes:
        raise UserError('load_state: %s is an object-based TF2 checkpoint (maddpg-train writes those); '
                        'load it with maddpg_tf2.load(%r, scenario=...) instead' % (prefix, path))
    missing = [n for n, v in variables.items() if n not in shapes and v.trainable]
    if missing:
        raise UserError('load_state: checkpoint %s lacks %s (it holds %d variables, e.g. %s): another '
                        'scenario, model or trainer names?' % (prefix, missing[0], len(shapes),
                                                                sorted(shapes)[:3]))
    for name, v in variables.items():
        if name not in shapes:
            continue  # optimizer state absent (e.g. weights-only checkpoint): keep the fresh one
        if list(shapes[name]) != v.shape.as_list():
            raise UserError('load_state: variable %s has shape %s in %s but %s here (another scenario '
                            'or num_units?)' % (name, list(shapes[name]), prefix, v.shape.as_list()))
        v.assign(np.asarray(reader.get_tensor(name), dtype=v.dtype.as_numpy_dtype))


def load_state(fname, saver=None):
    """Load every live trainer's variables from the checkpoint at prefix `fname`."""
    saver = saver if saver is not None else Saver()
    saver.restore(None, fname)
    return saver


def save_state(fname, saver=None):
    """Save every live trainer's variables to the checkpoint prefix `fname` (folders are created)."""
    saver = saver if saver is not None else Saver()
    saver.save(None, fname)
    return saver
