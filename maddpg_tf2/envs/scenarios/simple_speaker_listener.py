"""simple_speaker_listener (cooperative communication): the speaker (agent 0, immobile) sees the
goal colour and speaks; the listener (agent 1, silent) hears it and moves; the reward is shared."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, flat_pos, grid

SPEAKER, LISTENER = 0, 1
LANDMARK_COLORS = np.array([[0.65, 0.15, 0.15], [0.15, 0.65, 0.15], [0.15, 0.15, 0.65]])


class SimpleSpeakerListener(Scenario):
    name = "simple_speaker_listener"
    dim_c = 3
    collaborative = True
    agent_names = ("agent 0", "agent 1")
    landmark_names = ("landmark 0", "landmark 1", "landmark 2")
    agent_size = (0.075,) * 2
    landmark_size = (0.04,) * 3
    agent_collide = (False,) * 2
    landmark_collide = (False,) * 3
    agent_movable = (False, True)
    agent_silent = (False, True)
    adversary = (False, False)
    var_specs = {"goal_b": ((), np.int64)}  # the landmark the listener must reach

    LISTENER_LANDMARK = grid([LISTENER], [2, 3, 4])

    def reset_vars(self, rng, k):
        return {"goal_b": rng.integers(0, self.num_landmarks, size=k)}

    def sources(self, s):
        src = super().sources(s)
        src["goal_color"] = LANDMARK_COLORS[s.goal_b]  # [E, 3]
        return src

    def obs_layout(self):
        lms = list(self.landmark_ids)
        return [
            self.columns().value("goal_color", range(3)),
            self.columns().entity("vel", [LISTENER]).rel(lms, LISTENER).comm([SPEAKER]),
        ]

    def _reward(self, s):
        sq = self.LISTENER_LANDMARK.sq_dist(flat_pos(s))  # [E, L]
        return -np.take_along_axis(sq, s.goal_b[:, None], axis=1)[:, 0]  # [E]

    def reward(self, s):
        r = self._reward(s)
        return np.stack([r, r], axis=1)

    def benchmark_data(self, s):
        # the original's benchmark_data crashes (undefined name); it meant the agent's reward
        return [[r, r] for r in self._reward(s).tolist()]

    def colors(self, s, e):
        listener = LANDMARK_COLORS[s.goal_b[e]] + 0.45
        return np.vstack([[0.25, 0.25, 0.25], listener, LANDMARK_COLORS])
