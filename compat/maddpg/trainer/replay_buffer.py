"""The original's per-agent ReplayBuffer interface on preallocated numpy arrays.

Arrays are allocated on the first `add`, when the shapes are known; np.zeros memory is only committed
as rows are written, so a capacity of 1e6 costs what is actually stored. Values are kept as float32
(what the networks consume). Index draws use numpy's global generator, so `np.random.seed` in a
driving script makes sampling reproducible.
"""
import numpy as np


class ReplayBuffer(object):
    def __init__(self, size):
        """Ring buffer holding at most `size` transitions; the oldest are overwritten first."""
        self._maxsize = int(size)
        self._next_idx = 0
        self._len = 0
        self._arrays = None  # obs, act, rew, obs_next, done

    def __len__(self):
        return self._len

    @property
    def _storage(self):
        """The original's list of (obs, act, rew, obs_next, done) tuples, as a read-only view."""
        return _StorageView(self)

    def clear(self):
        self._next_idx = 0
        self._len = 0

    def _allocate(self, obs_t, action):
        obs_shape, act_shape = np.shape(obs_t), np.shape(action)
        self._arrays = (np.zeros((self._maxsize,) + obs_shape, np.float32),
                        np.zeros((self._maxsize,) + act_shape, np.float32),
                        np.zeros(self._maxsize, np.float32),
                        np.zeros((self._maxsize,) + obs_shape, np.float32),
                        np.zeros(self._maxsize, np.float32))

    def add(self, obs_t, action, reward, obs_tp1, done):
        if self._arrays is None:
            self._allocate(obs_t, action)
        i = self._next_idx
        for array, value in zip(self._arrays, (obs_t, action, reward, obs_tp1, float(done))):
            array[i] = value
        self._next_idx = (i + 1) % self._maxsize
        self._len = min(self._len + 1, self._maxsize)

    def _encode_sample(self, idxes):
        idxes = np.asarray(idxes, dtype=np.int64)
        return tuple(array[idxes] for array in self._arrays)

    def make_index(self, batch_size):
        """batch_size indices drawn uniformly with replacement over the stored transitions."""
        return np.random.randint(0, self._len, size=batch_size)

    def make_latest_index(self, batch_size):
        """The batch_size most recent indices, shuffled."""
        idx = (self._next_idx - 1 - np.arange(batch_size)) % self._maxsize
        np.random.shuffle(idx)
        return idx

    def sample_index(self, idxes):
        return self._encode_sample(idxes)

    def sample(self, batch_size):
        """(obs, act, rew, obs_next, done) arrays of a random batch; batch_size <= 0: everything stored."""
        if batch_size > 0:
            idxes = self.make_index(batch_size)
        else:
            idxes = np.arange(self._len)
        return self._encode_sample(idxes)

    def collect(self):
        return self.sample(-1)


class _StorageView(object):
    """len(), indexing and iteration over the stored transitions, slot by slot as the original's list
    (slot `_next_idx` is the next one written once the buffer is full)."""

    def __init__(self, buffer):
        self._buffer = buffer

    def __len__(self):
        return len(self._buffer)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError('replay buffer index out of range')
        i %= n
        obs, act, rew, obs_next, done = (a[i] for a in self._buffer._arrays)
        return obs, act, float(rew), obs_next, float(done)

    def __iter__(self):
        return (self[i] for i in range(len(self)))
