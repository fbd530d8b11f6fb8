"""simple_speaker_listener with the reward -distance instead of -distance^2 (a diagnostic, not the
original's task): is the squared distance's flat bottom what keeps the listener short of the target?

benchmark_data stays the original's -distance^2, so `--benchmark`'s metrics are comparable."""
import numpy as np

from multiagent.scenarios.simple_speaker_listener import Scenario as _Original


class Scenario(_Original):
    def reward(self, agent, world):
        speaker = world.agents[0]
        return -float(np.linalg.norm(speaker.goal_a.state.p_pos - speaker.goal_b.state.p_pos))

    def benchmark_data(self, agent, world):
        return _Original.reward(self, agent, world)
