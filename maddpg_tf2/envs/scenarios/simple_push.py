"""simple_push (keep-away): the good agent goes to the goal landmark, the adversary pushes it away
without knowing which landmark is the goal."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, flat_pos, grid

ADV, GOOD = 0, 1
LANDMARK_COLORS = np.array([[0.1, 0.9, 0.1], [0.1, 0.1, 0.9]])


class SimplePush(Scenario):
    name = "simple_push"
    dim_c = 2
    agent_names = ("agent 0", "agent 1")
    landmark_names = ("landmark 0", "landmark 1")
    agent_size = (0.05,) * 2
    landmark_size = (0.05,) * 2
    agent_collide = (True,) * 2
    landmark_collide = (False,) * 2
    agent_movable = (True,) * 2
    agent_silent = (True,) * 2
    adversary = (True, False)
    var_specs = {"goal": ((), np.int64)}

    AGENT_LANDMARK = grid([0, 1], [2, 3])

    def reset_vars(self, rng, k):
        return {"goal": rng.integers(0, self.num_landmarks, size=k)}

    def _agent_colors(self, goal):
        E = len(goal)
        c = np.empty((E, 2, 3))
        c[:, ADV] = (0.75, 0.25, 0.25)
        c[:, GOOD] = 0.25
        c[np.arange(E), GOOD, goal + 1] += 0.5  # the good agent is tinted with its goal's colour
        return c

    def sources(self, s):
        src = super().sources(s)
        E = len(s.goal)
        src["goal"] = s.p_pos[np.arange(E), 2 + s.goal]  # [E, 2]
        src["good_color"] = self._agent_colors(s.goal)[:, GOOD]  # [E, 3]
        src["landmark_color"] = np.broadcast_to(LANDMARK_COLORS.reshape(1, -1), (E, 6))
        return src

    def obs_layout(self):
        lms = list(self.landmark_ids)
        adv = self.columns().entity("vel", [ADV]).rel(lms, ADV).rel([GOOD], ADV)
        good = (self.columns().entity("vel", [GOOD]).rel_point("goal", GOOD).value("good_color", range(3))
                .rel(lms, GOOD).value("landmark_color", range(6)).rel([ADV], GOOD))
        return [adv, good]

    def _goal_dist(self, s):
        """[E, A]: each agent's distance to the goal landmark."""
        d = self.AGENT_LANDMARK.dist(flat_pos(s)).reshape(-1, 2, 2)
        return np.where((s.goal == 0)[:, None], d[:, :, 0], d[:, :, 1])

    def reward(self, s):
        d = self._goal_dist(s)
        return np.stack([d[:, GOOD] - d[:, ADV], -d[:, GOOD]], axis=1)

    def benchmark_data(self, s):
        # not in the original: (reward, distance from the agent to the good agents' goal landmark)
        rew, d = self.reward(s).tolist(), self._goal_dist(s).tolist()
        return [[(r[i], x[i]) for i in range(2)] for r, x in zip(rew, d)]

    def colors(self, s, e):
        return np.vstack([self._agent_colors(s.goal[e:e + 1])[0], LANDMARK_COLORS])
