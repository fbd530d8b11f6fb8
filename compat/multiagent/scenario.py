"""The base class every scenario (built-in or a user's file) derives from."""


class BaseScenario(object):
    def make_world(self):
        """Build and return a World (the original's scenarios call reset_world here too)."""
        raise NotImplementedError()

    def reset_world(self, world):
        """Set the initial conditions, drawing from the global np.random."""
        raise NotImplementedError()
