"""Preallocated float32 replay for all agents and all parallel environments at once.

Layout. Every world e owns a ring segment of `S` rows; row (e, r) holds the joint observation of
all agents (concatenated), and, when it is a transition, the joint action, the rewards and the dones
of the step taken from it. A transition's next observation is the observation in the following row
of the same segment, so each observation is stored once (half the memory of storing obs and next_obs:
the full 1e6-transition replay of simple_spread takes 287 MiB). When an episode ends, its
terminal observation stays in its row, marked as not a transition, and the next episode starts in
the row after it.

Sampling follows the original: for every updating agent its own batch of indices, drawn uniformly
with replacement over the stored transitions, reading every agent's data at those indices.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np


def replay_nbytes(capacity: int, obs_dims: Sequence[int], act_dims: Sequence[int], num_envs: int = 1,
                  episode_len: int = 25, num_tags: int = 0) -> int:
    """Bytes of a full Replay of these sizes (Replay.nbytes), computed without allocating it."""
    n = len(obs_dims)
    per_env = -(-int(capacity) // int(num_envs))
    rows = int(num_envs) * (per_env + -(-per_env // max(1, episode_len)) + 1)
    return rows * (4 * (sum(obs_dims) + sum(act_dims) + n) + (n + 8) // 8 + 2 * num_tags)


class Replay:
    def __init__(self, capacity: int, obs_dims: Sequence[int], act_dims: Sequence[int],
                 num_envs: int = 1, episode_len: int = 25, num_tags: int = 0):
        """capacity: transitions kept (FIFO). Rows for terminal observations come on top, sized for
        episodes of `episode_len` steps; shorter episodes shorten the FIFO horizon slightly.
        num_tags: small integers stored with every transition (policy ensembles: each agent's
        sub-policy), given to add() as `tags` and returned by gather() as `tag`."""
        if capacity <= 0:
            raise ValueError(f"replay capacity must be positive, got {capacity}")
        self.obs_dims = [int(d) for d in obs_dims]
        self.act_dims = [int(k) for k in act_dims]
        self.n = len(self.obs_dims)
        self.num_envs = int(num_envs)
        self.capacity = int(capacity)
        per_env = -(-self.capacity // self.num_envs)
        self.rows_per_env = per_env + -(-per_env // max(1, episode_len)) + 1
        E, S = self.num_envs, self.rows_per_env
        # np.zeros maps pages lazily: memory is committed as the buffer fills.
        self._obs = np.zeros((E, S, sum(self.obs_dims)), np.float32)
        self._act = np.zeros((E, S, sum(self.act_dims)), np.float32)
        self._rew = np.zeros((E, S, self.n), np.float32)
        # Bit-packed [is_transition, done_1..done_N]: one byte per row for up to 7 agents.
        self._flags = np.zeros((E, S, (self.n + 8) // 8), np.uint8)
        self._tag = np.zeros((E, S, num_tags), np.int16) if num_tags else None
        self._write = np.zeros(E, np.int64)  # row the next observation goes to
        self._pending = np.zeros(E, np.bool_)  # row _write already holds the last next observation
        self._filled = np.zeros(E, np.int64)  # rows ever written, capped at S
        self._count = 0  # stored transitions
        self._obs_split = np.cumsum(self.obs_dims)[:-1]
        self._act_split = np.cumsum(self.act_dims)[:-1]
        self._envs = np.arange(E)

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        tags = self._tag.nbytes if self._tag is not None else 0
        return sum(a.nbytes for a in (self._obs, self._act, self._rew, self._flags)) + tags

    def _is_transition(self, env, row):
        flat = self._flags.reshape(-1, self._flags.shape[-1])[:, 0]
        return (np.take(flat, env * self.rows_per_env + row) & 0x80) != 0

    def add(self, obs_n, act_n, rew, next_obs_n, done, tags=None) -> None:
        """Store one step of every world: obs_n/next_obs_n lists over agents of [E, d_i], act_n of
        [E, k_i], rew and done [E, N]; tags [E, num_tags] when the replay keeps them."""
        obs = joint_rows(obs_n)  # [E, D]
        nxt = joint_rows(next_obs_n)
        envs, S = self._envs, self.rows_per_env
        row = self._write.copy()
        # A world continues its chain when its observation is the next observation stored last step;
        # otherwise (a reset) the stored one was terminal and the new episode starts one row later.
        continues = self._pending & np.all(self._obs[self._at(row)] == obs, axis=1)
        row = np.where(self._pending & ~continues, (row + 1) % S, row)
        at = self._at(row)
        self._count += int(np.count_nonzero((self._flags[at][:, 0] & 0x80) == 0))
        self._obs[at] = obs
        self._act[at] = joint_rows(act_n)
        self._rew[at] = rew
        if self._tag is not None:
            self._tag[at] = tags
        bits = np.concatenate([np.ones((len(envs), 1), np.bool_), np.asarray(done, np.bool_)], axis=1)
        self._flags[at] = np.packbits(bits, axis=1)
        nrow = (row + 1) % S
        nat = self._at(nrow)
        self._count -= int(np.count_nonzero(self._flags[nat][:, 0] & 0x80))
        self._obs[nat] = nxt
        self._flags[nat] = 0
        self._write = nrow
        self._pending[:] = True
        self._filled = np.maximum(self._filled, np.maximum(row, nrow) + 1)

    def _at(self, row):
        """Index of row[e] in every world e: a plain slice when the worlds are in lockstep (the
        usual case: episodes of equal length), several times faster than fancy indexing."""
        if row[0] == row[-1] and (row == row[0]).all():
            return (slice(None), int(row[0]))
        return (self._envs, row)

    def transition_index(self):
        """(env, row) of every stored transition."""
        top = int(self._filled.max())
        return np.nonzero((self._flags[:, :top, 0] & 0x80) != 0)

    def latest_index(self, count: int):
        """(env, row) of the `count` most recently stored transitions (fewer if fewer are stored),
        newest first, the worlds interleaved."""
        count = min(int(count), self._count)
        E, S = self.num_envs, self.rows_per_env
        back = -(-count // E) + 2
        while True:
            back = min(back, S)
            rows = (self._write[None, :] - np.arange(1, back + 1)[:, None]) % S  # [back, E], newest first
            env = np.broadcast_to(self._envs, rows.shape)
            ok = self._is_transition(env, rows)
            if ok.sum() >= count or back == S:
                return env[ok][:count], rows[ok][:count]
            back *= 2

    def obs_act_at(self, env, row):
        """Only the joint observations and actions at (env, row), [..., sum d] and [..., sum k]."""
        flat = (env * self.rows_per_env + row).reshape(-1)
        take = lambda a: np.take(a.reshape(-1, a.shape[-1]), flat, axis=0).reshape(env.shape + (-1,))
        return take(self._obs), take(self._act)

    def tags_at(self, env, row) -> np.ndarray:
        """The tags [..., num_tags] of the transitions at (env, row)."""
        return self._tag[env, row]

    def sample_index(self, shape, rng: np.random.Generator):
        """Uniform indices (env, row) of stored transitions, with replacement, of the given shape."""
        if self._count == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        size = int(np.prod(shape))
        env = np.empty(size, np.int64)
        row = np.empty(size, np.int64)
        todo = np.arange(size)
        weights = self._filled / self._filled.sum()
        uniform = np.all(self._filled == self._filled[0])
        while todo.size:
            # Uniform over written rows, then rejection of terminal-observation rows (~1 in 26).
            e = rng.integers(0, self.num_envs, todo.size) if uniform else rng.choice(self.num_envs, todo.size, p=weights)
            r = (rng.random(todo.size) * self._filled[e]).astype(np.int64)
            ok = self._is_transition(e, r)
            env[todo[ok]], row[todo[ok]] = e[ok], r[ok]
            todo = todo[~ok]
        return env.reshape(shape), row.reshape(shape)

    def gather(self, env, row) -> Dict[str, object]:
        """The transitions at (env, row), any index shape [...]: per-agent lists split from the joint rows."""
        S = self.rows_per_env
        flat = env * S + row
        flat_next = env * S + (row + 1) % S
        # np.take on flat row views is several times faster than two-array fancy indexing.
        take = lambda a, idx: np.take(a.reshape(-1, a.shape[-1]), idx, axis=0)
        flags = take(self._flags, flat)
        obs, act, next_obs = take(self._obs, flat), take(self._act, flat), take(self._obs, flat_next)
        out = {
            "obs_n": np.split(obs, self._obs_split, axis=-1),
            "act_n": np.split(act, self._act_split, axis=-1),
            "rew": take(self._rew, flat),
            "next_obs_n": np.split(next_obs, self._obs_split, axis=-1),
            "done": np.unpackbits(flags, axis=-1, count=self.n + 1)[..., 1:].astype(np.float32),
            # The same data as joint, contiguous arrays (what the learner converts to tensors).
            "obs": obs, "act": act, "next_obs": next_obs,
        }
        if self._tag is not None:
            out["tag"] = take(self._tag, flat)
        return out

    def sample(self, batch_size: int, rng: np.random.Generator, num_batches: int = None):
        """One batch per updating agent (the original: each agent draws its own indices).

        Returns obs_n / act_n / next_obs_n lists over agents j of [num_batches, B, d_j], rew and done
        [num_batches, B, N]; batch i is agent i's.
        """
        num_batches = self.n if num_batches is None else num_batches
        return self.gather(*self.sample_index((num_batches, batch_size), rng))

    # --- checkpointing ---
    def state_dict(self) -> Dict[str, np.ndarray]:
        top = int(self._filled.max())  # rows past this were never written: skip them
        state = {
            "obs": self._obs[:, :top], "act": self._act[:, :top], "rew": self._rew[:, :top],
            "flags": self._flags[:, :top],
            "write": self._write, "pending": self._pending, "filled": self._filled,
            "count": np.int64(self._count),
            "layout": np.array([self.num_envs, self.rows_per_env] + self.obs_dims + self.act_dims, np.int64),
        }
        if self._tag is not None:
            state["tag"] = self._tag[:, :top]
        return state

    def load_state_dict(self, state: Dict[str, np.ndarray]) -> None:
        layout = np.array([self.num_envs, self.rows_per_env] + self.obs_dims + self.act_dims, np.int64)
        if not np.array_equal(np.asarray(state["layout"]), layout):
            raise ValueError(
                "saved replay buffer does not fit this run (different number of envs, capacity or "
                f"agent dimensions): saved layout {list(state['layout'])}, expected {list(layout)}")
        top = state["obs"].shape[1]
        self._obs[:, :top] = state["obs"]
        self._act[:, :top] = state["act"]
        self._rew[:, :top] = state["rew"]
        self._flags[:, :top] = state["flags"]
        if self._tag is not None:
            if "tag" not in state or state["tag"].shape[2:] != self._tag.shape[2:]:
                raise ValueError("saved replay buffer has no sub-policy tags for this ensemble size")
            self._tag[:, :top] = state["tag"]
        self._write = np.array(state["write"], np.int64)
        self._pending = np.array(state["pending"], np.bool_)
        self._filled = np.array(state["filled"], np.int64)
        self._count = int(state["count"])


def joint_rows(parts: List[np.ndarray]) -> np.ndarray:
    """Concatenate per-agent arrays [E, d_i] into one float32 row block [E, sum d]."""
    return np.concatenate([np.asarray(p, np.float32).reshape(len(p), -1) for p in parts], axis=1)
