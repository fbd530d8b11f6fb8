"""The spaces the environments hand out: gymnasium's, with the original MPE's habits kept.

- Python ints where the original (gym <= 0.10) had them: `Discrete(5).n` is an `int`, shapes are
  tuples of ints. Numpy integers end up in users' checkpoints (torch's safe loader refuses them),
  in JSON and in `isinstance(n, int)` checks.
- When the old `gym` package is installed, every space is also an instance of gym's class of the same
  name (`isinstance(space, gym.spaces.Discrete)` holds), so code written for the original
  (`from gym import spaces`) keeps working. gym is not a dependency: without it the classes are
  plain gymnasium subclasses. gym's classes are ordinary classes (no ABC `register`), so the only
  way to pass its isinstance checks is to inherit from them; gymnasium's methods come first in the
  method order, so gymnasium's checks and utilities see gymnasium spaces.
- MultiDiscrete as the original MPE defines it (sub-spaces given as [min, max] pairs).
"""
import contextlib
import importlib.util
import io

import numpy as np
from gymnasium import spaces as _gymnasium


def _old_gym_spaces():
    """gym.spaces when the old gym package is installed and imports, else None.

    gym 0.26 prints a notice asking its users to move to gymnasium on import; this package is not
    such a user (it only lets their checks pass), so the notice is held back here."""
    try:
        if importlib.util.find_spec("gym") is None:
            return None
        with contextlib.redirect_stderr(io.StringIO()):
            import gym.spaces
        return gym.spaces
    except Exception:  # a broken or incompatible gym install must not break the environments
        return None


_gym = _old_gym_spaces()


def _bases(name):
    """(gymnasium's class, gym's class of the same name when gym is there)."""
    own = getattr(_gymnasium, name)
    old = getattr(_gym, name, None) if _gym is not None else None
    return (own,) if old is None or issubclass(own, old) else (own, old)


class Discrete(*_bases("Discrete")):
    """Discrete(n) with `n` and `start` as Python ints (gymnasium stores numpy int64)."""

    def __init__(self, n, seed=None, start=0):
        super().__init__(int(n), seed=seed, start=int(start))
        self.n = int(self.n)
        self.start = int(self.start)

    def __setstate__(self, state):  # pickles of either kind load with Python ints
        super().__setstate__(state)
        self.n, self.start = int(self.n), int(self.start)


class Box(*_bases("Box")):
    """Box with its shape as a tuple of Python ints."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        super().__init__(low, high, shape=shape, dtype=dtype, seed=seed)
        self._shape = tuple(int(d) for d in self._shape)


class Tuple(_gymnasium.Tuple):
    """A tuple of sub-spaces (agents that move and speak with continuous actions). gymnasium's only:
    its bases (Space, Sequence) cannot be merged with gym's Tuple into one class."""


class MultiDiscrete(*_bases("Space")):
    """Several discrete choices, the i-th an integer in [low[i], high[i]] (both inclusive).

    Gymnasium's own MultiDiscrete takes sizes and has another `shape`; code written for the original
    reads `low`, `high`, `num_discrete_space` and `shape == num_discrete_space`, so keep those. Both
    the vectorised engine and `multiagent.multi_discrete` use this one class.
    """

    def __init__(self, array_of_param_array, seed=None):
        self.low = np.array([x[0] for x in array_of_param_array])
        self.high = np.array([x[1] for x in array_of_param_array])
        self.num_discrete_space = int(self.low.shape[0])
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

    __hash__ = None
