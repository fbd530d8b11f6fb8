"""simple_reference: each agent knows the landmark the other agent must reach and says so;
both move and speak (MultiDiscrete actions); the reward is shared."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, flat_pos, grid

LANDMARK_COLORS = np.array([[0.75, 0.25, 0.25], [0.25, 0.75, 0.25], [0.25, 0.25, 0.75]])


class SimpleReference(Scenario):
    name = "simple_reference"
    dim_c = 10
    collaborative = True
    agent_names = ("agent 0", "agent 1")
    landmark_names = ("landmark 0", "landmark 1", "landmark 2")
    agent_size = (0.05,) * 2
    landmark_size = (0.05,) * 3
    agent_collide = (False,) * 2
    landmark_collide = (False,) * 3
    agent_movable = (True,) * 2
    agent_silent = (False,) * 2
    adversary = (False, False)
    # goal_b[:, i]: landmark that agent i's partner (its goal_a) must reach; agent 0's drawn first
    var_specs = {"goal_b": ((2,), np.int64)}

    # goal_a of agent i is the other agent: pairs (partner, landmark) for i = 0, 1
    PARTNER_LANDMARK = grid([1, 0], [2, 3, 4])

    def reset_vars(self, rng, k):
        return {"goal_b": rng.integers(0, self.num_landmarks, size=(k, 2))}

    def sources(self, s):
        src = super().sources(s)
        src["goal_color"] = LANDMARK_COLORS[s.goal_b].reshape(len(s.goal_b), 6)  # [E, A * 3]
        return src

    def obs_layout(self):
        lms = list(self.landmark_ids)
        return [self.columns().entity("vel", [i]).rel(lms, i).value("goal_color", range(3 * i, 3 * i + 3))
                .comm(self.others(i)) for i in range(2)]

    def _sq(self, s):
        """[E, A]: squared distance between agent i's goal_a (its partner) and goal_b."""
        E = s.p_pos.shape[0]
        sq = self.PARTNER_LANDMARK.sq_dist(flat_pos(s)).reshape(E, 2, 3)
        return np.take_along_axis(sq, s.goal_b[:, :, None], axis=2)[:, :, 0]

    def reward(self, s):
        return -self._sq(s)

    def benchmark_data(self, s):
        # not in the original: (reward, distance between agent.goal_a and agent.goal_b)
        sq = self._sq(s)
        rew, d = (-sq).tolist(), np.sqrt(sq).tolist()
        return [[(r[i], x[i]) for i in range(2)] for r, x in zip(rew, d)]

    def colors(self, s, e):
        # each agent wears the colour of the landmark its partner must reach
        agents = LANDMARK_COLORS[s.goal_b[e, [1, 0]]]
        return np.vstack([agents, LANDMARK_COLORS])
