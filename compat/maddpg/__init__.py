"""The original `maddpg` package's import paths, backed by maddpg_tf2.

`from maddpg.trainer.maddpg import MADDPGAgentTrainer` and the `AgentTrainer` base class work as in
openai/maddpg, so scripts written for it run unchanged on TensorFlow 2.

A user's own `maddpg/` folder without an `__init__.py` (PyTorch ports keep `maddpg/maddpg.py`,
`maddpg/utils.py` there) joins this package instead of being hidden by it: Python lets a regular
package beat such a folder wherever the folder stands on sys.path, so `__path__` below lists every
`maddpg` folder without an `__init__.py` on sys.path together with this one, in sys.path order.
`maddpg.maddpg` then comes from the user's folder, `maddpg.common.*` and `maddpg.trainer.*` from here
unless an earlier folder has them (`common` and `trainer` merge the same way). A user's folder *with*
an `__init__.py` earlier on sys.path is a regular package and replaces this one whole, as before.

Why not a namespace package with `common` and `trainer` as regular subpackages: `from maddpg import
AgentTrainer`, which the original's trainer and its copies use, needs a package that can hold a name.
"""
import os
import sys


def merged_path(name, own_dir, search_path):
    """The folders package `name` (its last dotted part) is read from: `own_dir` and every folder of
    that name in `search_path` that is not a regular package (no `__init__.py`), in search_path
    order; `own_dir` goes last when its parent is not in search_path (e.g. an editable install's
    finder)."""
    leaf = name.rpartition('.')[2]
    own_dir = os.path.realpath(own_dir)
    folders, own_placed = [], False
    for entry in search_path:
        if not isinstance(entry, str):
            continue
        candidate = os.path.realpath(os.path.join(entry or os.getcwd(), leaf))
        if candidate in folders:
            continue
        if candidate == own_dir:
            folders.append(candidate)
            own_placed = True
        elif os.path.isdir(candidate) and not os.path.exists(os.path.join(candidate, '__init__.py')):
            folders.append(candidate)
    if not own_placed:
        folders.append(own_dir)
    return folders


def refresh_paths():
    """Recompute the merged folders of `maddpg` (and of `maddpg.common` / `maddpg.trainer` when
    already imported) from the current sys.path: for launchers that change sys.path[0] after this
    package was imported (`python -m maddpg.tf1 script.py` puts the script's folder first)."""
    package = sys.modules[__name__]
    package.__path__[:] = merged_path(__name__, os.path.dirname(__file__), sys.path)
    for sub in ('common', 'trainer'):
        module = sys.modules.get(__name__ + '.' + sub)
        if module is not None and getattr(module, '__file__', None):
            module.__path__[:] = merged_path(module.__name__, os.path.dirname(module.__file__),
                                             package.__path__)


__path__ = merged_path(__name__, os.path.dirname(__file__), sys.path)


class AgentTrainer(object):
    """Interface of one agent's trainer (as the original's)."""

    def __init__(self, name, model, obs_shape, act_space, args):
        raise NotImplementedError()

    def action(self, obs):
        raise NotImplementedError()

    def process_experience(self, obs, act, rew, new_obs, done, terminal):
        raise NotImplementedError()

    def preupdate(self):
        raise NotImplementedError()

    def update(self, agents, t):
        raise NotImplementedError()
