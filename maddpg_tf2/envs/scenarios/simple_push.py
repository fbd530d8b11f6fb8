"""simple_push (keep-away): the good agent goes to the goal landmark, the adversary pushes it away
without knowing which landmark is the goal."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario, dist

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
    agent_accel = (None,) * 2
    agent_max_speed = (None,) * 2
    adversary = (True, False)
    var_specs = {"goal": ((), np.int64)}

    def reset_vars(self, rng, k):
        return {"goal": rng.integers(0, self.num_landmarks, size=k)}

    def _goal_pos(self, s):
        return s.p_pos[np.arange(len(s.goal)), self.num_agents + s.goal]  # [E, 2]

    def _agent_colors(self, goal):
        E = len(goal)
        c = np.empty((E, 2, 3))
        c[:, ADV] = (0.75, 0.25, 0.25)
        c[:, GOOD] = 0.25
        c[np.arange(E), GOOD, goal + 1] += 0.5  # the good agent is tinted with its goal's colour
        return c

    def features(self, s):
        f = self.base_features(s)
        E = s.p_pos.shape[0]
        f["goal_rel"] = self._goal_pos(s)[:, None, :] - s.p_pos[:, :2]  # [E, A, 2]
        f["agent_color"] = self._agent_colors(s.goal)  # [E, A, 3]
        f["landmark_color"] = np.broadcast_to(LANDMARK_COLORS, (E, 2, 3))
        return f

    def obs_layout(self):
        lms = list(self.landmark_ids)
        adv = [("vel", (ADV,)), ("rel", (ADV, lms)), ("rel", (ADV, [GOOD]))]
        good = [("vel", (GOOD,)), ("goal_rel", (GOOD,)), ("agent_color", (GOOD,)), ("rel", (GOOD, lms)),
                ("landmark_color", ()), ("rel", (GOOD, [ADV]))]
        return [adv, good]

    def reward(self, s):
        goal = self._goal_pos(s)
        d_good = dist(s.p_pos[:, GOOD], goal)
        d_adv = dist(goal, s.p_pos[:, ADV])
        return np.stack([d_good - d_adv, -d_good], axis=1)

    def benchmark_data(self, s):
        # not in the original: (reward, distance from the agent to the good agents' goal landmark)
        rew = self.reward(s).tolist()
        goal = self._goal_pos(s)[:, None, :]
        d = dist(s.p_pos[:, :2], goal).tolist()
        return [[(r[i], x[i]) for i in range(2)] for r, x in zip(rew, d)]

    def colors(self, s, e):
        return np.vstack([self._agent_colors(s.goal[e:e + 1])[0], LANDMARK_COLORS])
