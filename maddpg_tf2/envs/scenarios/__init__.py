"""The nine built-in particle scenarios, vectorised over E worlds."""
from maddpg_tf2.envs.scenarios._common import Scenario, WorldState, counts
from maddpg_tf2.envs.scenarios.simple import Simple
from maddpg_tf2.envs.scenarios.simple_adversary import SimpleAdversary
from maddpg_tf2.envs.scenarios.simple_crypto import SimpleCrypto
from maddpg_tf2.envs.scenarios.simple_push import SimplePush
from maddpg_tf2.envs.scenarios.simple_reference import SimpleReference
from maddpg_tf2.envs.scenarios.simple_speaker_listener import SimpleSpeakerListener
from maddpg_tf2.envs.scenarios.simple_spread import SimpleSpread
from maddpg_tf2.envs.scenarios.simple_tag import SimpleTag
from maddpg_tf2.envs.scenarios.simple_world_comm import SimpleWorldComm

SCENARIOS = {cls.name: cls for cls in (
    Simple, SimpleAdversary, SimpleCrypto, SimplePush, SimpleReference, SimpleSpeakerListener,
    SimpleSpread, SimpleTag, SimpleWorldComm)}
BUILTIN_NAMES = tuple(sorted(SCENARIOS))


def get(name: str, **kwargs) -> Scenario:
    """A fresh instance of the built-in scenario `name` (KeyError if unknown), with its entity
    counts from `kwargs` (mpe2's keywords, e.g. N=6 for simple_spread; ScenarioError for a keyword
    the scenario lacks or an impossible count)."""
    cls = SCENARIOS[name]
    if not cls.count_defaults:
        counts(name, {}, kwargs)  # a scenario without counts takes no keywords: one line if given
        return cls()
    return cls(**kwargs)


__all__ = ["BUILTIN_NAMES", "SCENARIOS", "Scenario", "WorldState", "get"]
