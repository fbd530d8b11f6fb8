"""MultiDiscrete as the original MPE defines it: sub-spaces given as [min, max] pairs.

Gymnasium's own MultiDiscrete takes sizes and has another `shape`; code written for the original
reads `low`, `high`, `num_discrete_space` and `shape == num_discrete_space`, so keep those. Both the
vectorised engine and `multiagent.multi_discrete` use this one class.
"""
import numpy as np
from gymnasium import spaces


class MultiDiscrete(spaces.Space):
    """Several discrete choices, the i-th an integer in [low[i], high[i]] (both inclusive)."""

    def __init__(self, array_of_param_array, seed=None):
        self.low = np.array([x[0] for x in array_of_param_array])
        self.high = np.array([x[1] for x in array_of_param_array])
        self.num_discrete_space = self.low.shape[0]
        super().__init__(shape=None, dtype=np.int64, seed=seed)

    @property
    def shape(self):
        return self.num_discrete_space

    @property
    def nvec(self) -> np.ndarray:
        """Size of each sub-space (gymnasium's name for it)."""
        return self.high - self.low + 1

    @property
    def sizes(self):
        """Number of choices per sub-space: the lengths of the one-hot parts of an action vector."""
        return [int(s) for s in self.high - self.low + 1]

    @property
    def is_np_flattenable(self):
        return False

    def sample(self, mask=None, probability=None):
        """One integer per sub-space, uniform (from this space's seedable generator)."""
        draws = self.np_random.random(self.num_discrete_space)
        return [int(x) for x in np.floor((self.high - self.low + 1.0) * draws + self.low)]

    def contains(self, x):
        x = np.asarray(x)
        return (x.ndim == 1 and len(x) == self.num_discrete_space
                and bool((x >= self.low).all()) and bool((x <= self.high).all()))

    def __repr__(self):
        return "MultiDiscrete" + str(self.num_discrete_space)

    def __eq__(self, other):
        return (isinstance(other, MultiDiscrete) and np.array_equal(self.low, other.low)
                and np.array_equal(self.high, other.high))
