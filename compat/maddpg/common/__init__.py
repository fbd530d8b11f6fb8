"""The original's `maddpg.common` helpers (tf_util, distributions) on TensorFlow 2, plus `layers`,
the stand-in for `tensorflow.contrib.layers` that model functions written for TF1 use."""
import os as _os
import sys as _sys

_package = _sys.modules[__name__.rpartition('.')[0]]
if not hasattr(_package, 'merged_path'):
    # An editable install's import finder comes after sys.path, so a user's `maddpg/` folder without an
    # __init__.py became the namespace package `maddpg` and this package's own __init__ never ran: run
    # it in that module now, so that it merges the folders and holds AgentTrainer as a regular install's.
    _own = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), '__init__.py')
    with open(_own, encoding='utf-8') as _f:
        _code = compile(_f.read(), _own, 'exec')
    _package.__file__ = _own
    exec(_code, _package.__dict__)

# A user's `maddpg/common/` folder without an `__init__.py` joins this one (see maddpg/__init__.py).
__path__ = _package.merged_path(__name__, _os.path.dirname(__file__), _package.__path__)
