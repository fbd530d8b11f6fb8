"""simple_crypto (covert communication): Alice (speaker, agent 2) sends the goal colour encrypted
with a key that Bob (agent 1) shares; Eve (adversary, agent 0) listens without the key.
Nobody moves: the only actions are messages."""
import numpy as np

from maddpg_tf2.envs.scenarios._common import Scenario

EVE, BOB, ALICE = 0, 1, 2


class SimpleCrypto(Scenario):
    name = "simple_crypto"
    dim_c = 4
    agent_names = ("agent 0", "agent 1", "agent 2")
    landmark_names = ("landmark 0", "landmark 1")
    agent_size = (0.05,) * 3
    landmark_size = (0.05,) * 2
    agent_collide = (False,) * 3
    landmark_collide = (False,) * 2
    agent_movable = (False,) * 3
    agent_silent = (False,) * 3
    adversary = (True, False, False)
    # goal: landmark whose colour (one-hot of its index over dim_c) is the message;
    # key: landmark whose colour is the key (drawn after the goal, as the original)
    var_specs = {"goal": ((), np.int64), "key": ((), np.int64)}

    def reset_vars(self, rng, k):
        goal = rng.integers(0, self.num_landmarks, size=k)
        key = rng.integers(0, self.num_landmarks, size=k)
        return {"goal": goal, "key": key}

    def sources(self, s):
        src = super().sources(s)
        eye = np.eye(self.dim_c)
        src["goal_color"] = eye[s.goal]  # [E, 4]
        src["key"] = eye[s.key]  # [E, 4]
        return src

    def obs_layout(self):
        c = range(self.dim_c)
        return [
            self.columns().comm([ALICE]),
            self.columns().value("key", c).comm([ALICE]),
            self.columns().value("goal_color", c).value("key", c),
        ]

    def reward(self, s):
        goal = np.eye(self.dim_c)[s.goal][:, None, :]
        spoke = np.any(s.comm != 0.0, axis=2)  # [E, A]: an all-zero message is ignored
        err = np.where(spoke, np.sum(np.square(s.comm - goal), axis=2), 0.0)  # [E, A]
        eve = -err[:, EVE]
        good = err[:, EVE] - err[:, BOB]
        return np.stack([eve, good, good], axis=1)

    def benchmark_data(self, s):
        goal = np.eye(self.dim_c)[s.goal]
        # (agent.state.c, agent.goal_a.color): arrays, as the original returns them
        return [[(s.comm[e, i].copy(), goal[e].copy()) for i in range(self.num_agents)]
                for e in range(s.comm.shape[0])]

    def colors(self, s, e):
        # Bob wears the goal colour; landmark colours are one-hot over dim_c: drawn with the first three
        lm = np.eye(self.dim_c)[:self.num_landmarks, :3]
        bob = np.eye(self.dim_c)[s.goal[e], :3]
        return np.vstack([[0.75, 0.25, 0.25], bob, [0.25, 0.25, 0.25], lm])
