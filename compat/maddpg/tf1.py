"""Run a script written for the original (TensorFlow 1) unchanged:

    python -m maddpg.tf1 [--display-file PATH] [--display-frames N] train.py --scenario simple ...
    maddpg-tf1 train.py --scenario simple ...            (the same, as a console script)

In this process only, before the script runs as `__main__` (runpy, sys.argv = [script, args...],
sys.path[0] = the script's folder, as `python train.py` would), TensorFlow gets the TF1 names such
scripts take from it and this package implements on TensorFlow 2:

- `tensorflow.contrib.layers` (`import tensorflow.contrib.layers as layers`, `tf.contrib.layers`):
  `maddpg.common.layers` (fully_connected, linear, layer_norm, flatten), used in model functions;
- `tf.variable_scope`, `tf.get_variable_scope`, `tf.AUTO_REUSE`: TensorFlow's v1-compat ones, which
  name the layers' variables as TF1 did;
- `tf.train.Saver`: `maddpg.common.tf_util.Saver` (name-based checkpoints of the trainers' variables);
- `tf.set_random_seed`: TensorFlow's global seed (the layers' initial weights; the trainer samples
  actions from numpy's global generator, so np.random.seed applies there);
- `tf.reset_default_graph`: forgets the trainers created so far (`maddpg.common.tf_util`).

Nothing is changed for other programs: importing `maddpg` patches nothing. A TF1 name the script uses
and the launcher does not provide (tf.placeholder, tf.Session, tf.contrib.rnn...) stops it with one
line naming it and exit status 2.

Without a display, `env.render()` in 'human' mode (the original's --display loop, which runs
forever) records frames: after --display-frames of them (default 75, three 25-step episodes) they
are written to --display-file (default `<script>_display.gif` in the current folder) and the script
stops with status 0. With a display the window shows them and nothing stops.
"""
import argparse
import importlib.abc
import os
import runpy
import sys
import types

PROVIDED = ('tf.contrib.layers', 'tf.variable_scope', 'tf.get_variable_scope', 'tf.AUTO_REUSE',
            'tf.train.Saver', 'tf.set_random_seed', 'tf.reset_default_graph')

# Why the TF1 names scripts most often meet are not provided (the rest get the general reason).
_GRAPH = ('TensorFlow 2 runs eagerly, without graphs, placeholders or sessions; the trainer\'s '
          'functions take numpy arrays and U.single_threaded_session() is the session')
_REASONS = {
    'tf.placeholder': _GRAPH, 'tf.Session': _GRAPH, 'tf.InteractiveSession': _GRAPH,
    'tf.ConfigProto': _GRAPH, 'tf.get_default_session': _GRAPH, 'tf.get_default_graph': _GRAPH,
    'tf.global_variables_initializer': _GRAPH + ' (U.initialize() has nothing to do)',
    'tf.global_variables': _GRAPH + '; maddpg.common.tf_util.global_variables() maps the original\'s '
                           'names to the trainers\' variables',
    'tf.get_variable': 'variables in model functions come from tf.contrib.layers '
                       '(maddpg.common.layers), which reuse them on every call',
    'tf.summary.FileWriter': 'TensorFlow 2 writes summaries with tf.summary.create_file_writer(logdir)',
    'tf.contrib': 'tf.contrib was removed in TensorFlow 2; only tf.contrib.layers is provided',
}


def _general_reason():
    return ('TensorFlow 2 removed it and the launcher provides only %s; edit that line of the script '
            '(docs/tf1-scripts.md)' % ', '.join(PROVIDED))


def _not_provided(name):
    from maddpg_tf2.errors import TF1NameError

    reason = _REASONS.get(name) or (_REASONS['tf.contrib'] if name.startswith('tf.contrib.') and not
                                    name.startswith('tf.contrib.layers.') else _general_reason())
    return TF1NameError("%s is not provided by maddpg-tf2's TF1 launcher: %s" % (name, reason))


def _tf1_name(module):
    """'tf.train' for TensorFlow's module tensorflow._api.v2.train, 'tf.contrib.layers' for the
    stand-in; None for modules that are not TensorFlow's."""
    name = getattr(module, '__name__', None) if isinstance(module, types.ModuleType) else None
    if name == 'maddpg.common.layers':
        return 'tf.contrib.layers'
    if name is None or not (name == 'tensorflow' or name.startswith('tensorflow.')):
        return None
    for prefix in ('tensorflow._api.v2.', 'tensorflow.'):
        if name.startswith(prefix):
            return 'tf.' + name[len(prefix):]
    return 'tf'


class _ContribFinder(importlib.abc.MetaPathFinder):
    """`import tensorflow.contrib.X` for any X but layers: the one-line refusal."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith('tensorflow.contrib.') and fullname != 'tensorflow.contrib.layers':
            raise _not_provided('tf.' + fullname[len('tensorflow.'):])
        return None


def provide_tf1_names():
    """Give TensorFlow, in this process, the TF1 names listed in PROVIDED."""
    from maddpg_tf2.quiet_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    import tensorflow as tf

    import maddpg.common.layers as layers
    import maddpg.common.tf_util as U

    contrib = types.ModuleType('tensorflow.contrib', 'The TF1 launcher\'s tf.contrib: layers only.')
    contrib.__path__ = []  # a package, so that `import tensorflow.contrib.rnn` reaches the finder
    contrib.layers = layers
    sys.modules['tensorflow.contrib'] = contrib
    sys.modules['tensorflow.contrib.layers'] = layers
    if not any(isinstance(f, _ContribFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ContribFinder())
    tf.contrib = contrib
    tf.variable_scope = tf.compat.v1.variable_scope
    tf.get_variable_scope = tf.compat.v1.get_variable_scope
    tf.AUTO_REUSE = tf.compat.v1.AUTO_REUSE
    tf.set_random_seed = tf.compat.v1.set_random_seed
    tf.reset_default_graph = U.reset_default_graph
    tf.train.Saver = U.Saver


class _DisplayDone(BaseException):
    """Raised from env.render once the headless recording is complete (a BaseException, so that a
    script's `except Exception` does not swallow the stop)."""


class _Recorder(object):
    """The frames env.render('human') drew without a display, up to `limit` (0: none kept), streamed
    into the animation at `path` as they come (maddpg_tf2.render.AnimationRecorder), so memory does
    not grow with --display-frames."""

    current = None  # the recorder of the script now running (main may run several in turn)

    def __init__(self, limit, path):
        self.limit, self.path, self.count, self.animation = limit, path, 0, None

    def add(self, env):
        import numpy as np
        from maddpg_tf2.render import AnimationRecorder

        if not self.limit:
            return
        shown = [v.last_frame for v in env.viewers if v is not None and v.last_frame is not None]
        if shown:
            if self.animation is None:
                self.animation = AnimationRecorder(self.path, fps=10)
            self.animation.add(np.concatenate(shown, axis=1))  # one viewer per agent: side by side
            self.animation.commit()
            self.count += 1
        if self.count >= self.limit:
            raise _DisplayDone()

    def finish(self):
        """Put the animation in place (True), or write nothing when no frame came (False)."""
        return self.animation is not None and self.animation.finish()

    def discard(self):
        if self.animation is not None:
            self.animation.discard()


def _record_headless_display(limit, path):
    """Without a display, env.render('human') frames go to a new recorder (returned), which stops
    the script once `limit` frames are written to `path`."""
    from maddpg_tf2.render import has_display
    from multiagent.environment import MultiAgentEnv

    _Recorder.current = _Recorder(0 if has_display() else limit, path)
    if not getattr(MultiAgentEnv.render, 'records_headless_frames', False):
        plain = MultiAgentEnv.render

        def render(self, mode='human', *args, **kwargs):
            result = plain(self, mode, *args, **kwargs)
            if mode == 'human' and _Recorder.current is not None:
                _Recorder.current.add(self)
            return result

        render.records_headless_frames = True
        MultiAgentEnv.render = render
    return _Recorder.current


def _parser():
    parser = argparse.ArgumentParser(
        prog='python -m maddpg.tf1', allow_abbrev=False,
        description='Run a script written for the original maddpg (TensorFlow 1) unchanged, with the TF1 '
                    'names it uses provided on TensorFlow 2: ' + ', '.join(PROVIDED) + '.',
        usage='python -m maddpg.tf1 [-h] [--display-file PATH] [--display-frames N] script.py [args ...]')
    parser.add_argument('--display-file', default=None, metavar='PATH',
                        help="without a display: where env.render('human') frames are written (.gif or "
                             ".mp4; default <script>_display.gif in the current folder)")
    parser.add_argument('--display-frames', type=int, default=75, metavar='N',
                        help='without a display: stop the script after this many rendered frames and '
                             'write them (default 75; 0: never stop, record nothing)')
    return parser


def _split(argv):
    """(launcher options, script, script arguments): the script is the first word that is neither
    an option nor an option's value; everything after it belongs to the script."""
    takes_value = ('--display-file', '--display-frames')
    i = 0
    while i < len(argv) and argv[i].startswith('-') and argv[i] != '-':
        i += 2 if argv[i] in takes_value else 1
    return argv[:i], (argv[i] if i < len(argv) else None), argv[i + 1:]


def _regular_package_before(package):
    """The first `maddpg` folder with an `__init__.py` on sys.path before this package's: the one
    plain Python would import instead (None when there is none)."""
    own = os.path.realpath(os.path.dirname(package.__file__))
    for entry in sys.path:
        folder = os.path.realpath(os.path.join(entry or os.getcwd(), 'maddpg'))
        if folder == own:
            return None
        if os.path.isfile(os.path.join(folder, '__init__.py')):
            return folder
    return None


def _fail(message):
    print('maddpg-tf1: ' + ' '.join(str(message).split()), file=sys.stderr, flush=True)
    return 2


def main(argv=None):
    own, script_arg, script_args = _split(list(sys.argv[1:] if argv is None else argv))
    options = _parser().parse_args(own)
    if script_arg is None:
        return _fail('no script given: python -m maddpg.tf1 [options] script.py [its arguments]')
    script = os.path.abspath(script_arg)
    if not os.path.isfile(script):
        return _fail('no script at %s: give the path of the script to run (e.g. experiments/train.py)'
                     % script_arg)
    if options.display_frames < 0:
        return _fail('--display-frames must be 0 (never stop) or more, not %d' % options.display_frames)
    display_file = options.display_file or (os.path.splitext(os.path.basename(script))[0] + '_display.gif')
    if os.path.splitext(display_file)[1].lower() not in ('.gif', '.mp4', '.m4v', '.mov', '.avi', '.mkv'):
        return _fail('--display-file %s: use a .gif or .mp4 file' % display_file)

    import maddpg
    import maddpg.common  # noqa: F401  (under an editable install it makes `maddpg` this package)
    from maddpg_tf2.errors import user_errors

    sys.argv = [script_arg] + script_args
    sys.path[0] = os.path.dirname(script)  # as `python script.py`: the script's folder first
    shadow = _regular_package_before(maddpg)
    if shadow:
        return _fail('%s is a maddpg package of its own (it has an __init__.py) and comes before this one on '
                     'sys.path: `python %s` would run its code, which the launcher cannot give TensorFlow 1; '
                     'remove its __init__.py to let its modules join this package (its own first), or move it '
                     'off sys.path' % (shadow, script_arg))
    maddpg.refresh_paths()  # a `maddpg/` folder beside the script joins the package
    recorder = None
    try:
        provide_tf1_names()
        recorder = _record_headless_display(options.display_frames, display_file)
        runpy.run_path(script, run_name='__main__')
    except _DisplayDone:
        recorder.finish()
        print('No display available: wrote %d frames to %s and stopped the script (--display-frames)'
              % (recorder.count, display_file), flush=True)
        return 0
    except user_errors() as e:
        return _fail(e)
    except AttributeError as e:
        owner = _tf1_name(getattr(e, 'obj', None))
        if owner is None or not getattr(e, 'name', None):
            raise
        return _fail(_not_provided(owner + '.' + e.name))
    except ModuleNotFoundError as e:
        if not (e.name or '').startswith('tensorflow.'):
            raise
        return _fail(_not_provided('tf.' + e.name[len('tensorflow.'):]))
    finally:
        if recorder is not None:
            recorder.discard()  # the script ended before --display-frames: its temporary file goes
    return 0


if __name__ == '__main__':
    sys.exit(main())
