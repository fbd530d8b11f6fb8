"""Scenario loading: `load(name).Scenario()` for a built-in name or a user's scenario file."""
import importlib
import importlib.util
import itertools
import os

from maddpg_tf2.errors import ScenarioError  # noqa: F401  (the name this package has always offered)

BUILTIN_SCENARIOS = (
    'simple', 'simple_adversary', 'simple_crypto', 'simple_push', 'simple_reference',
    'simple_speaker_listener', 'simple_spread', 'simple_tag', 'simple_world_comm',
)

_user_module_ids = itertools.count()


def load(name):
    """The module of a scenario, which defines `Scenario`.

    name: a built-in name with or without '.py' ('simple_spread', 'simple_spread.py', as the
    original), or the path of a scenario file (anything ending in '.py' that exists, or containing
    a path separator).
    """
    name = os.fspath(name)
    stem = name[:-3] if name.endswith('.py') else name
    if stem in BUILTIN_SCENARIOS and not os.path.isfile(name):
        return importlib.import_module('multiagent.scenarios.' + stem)
    if os.path.isfile(name):
        return _load_file(name)
    hint = 'no such file' if (os.sep in name or name.endswith('.py')) else 'not a built-in scenario'
    raise ScenarioError(
        'unknown scenario %r (%s). Built-in scenarios: %s; or give the path of a scenario file '
        'defining class Scenario.' % (name, hint, ', '.join(BUILTIN_SCENARIOS)))


def _load_file(path):
    """Import a scenario file as a fresh module (as the original's imp.load_source did)."""
    path = os.path.abspath(path)
    module_name = 'multiagent_user_scenario_%d' % next(_user_module_ids)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ScenarioError('scenario file %s cannot be imported (not a Python source file?)' % path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ScenarioError('scenario file %s failed to import: %s: %s'
                            % (path, type(exc).__name__, exc)) from exc
    if not isinstance(getattr(module, 'Scenario', None), type):
        raise ScenarioError('scenario file %s defines no class Scenario' % path)
    return module
