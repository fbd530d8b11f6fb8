"""The nine built-in particle scenarios, vectorised over E worlds."""
from maddpg_tf2.envs.scenarios._common import Scenario, WorldState
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


def get(name: str) -> Scenario:
    """A fresh instance of the built-in scenario `name` (KeyError if unknown)."""
    return SCENARIOS[name]()


__all__ = ["BUILTIN_NAMES", "SCENARIOS", "Scenario", "WorldState", "get"]
