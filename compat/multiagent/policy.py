"""Agent policies of the original MPE: the `Policy` interface and `InteractivePolicy` (arrow keys).

InteractivePolicy listens to the key events of the agent's viewer window (call env.render() first,
as the original's bin/interactive.py does, so the viewers exist). Without a display no window opens
and no key arrives: the agent then stays put (noop). Communication is not controlled by keys.
"""
import numpy as np

from multiagent.rendering import key


class Policy(object):
    def __init__(self):
        pass

    def action(self, obs):
        raise NotImplementedError()


class InteractivePolicy(Policy):
    """Moves agent `agent_index` with the arrow keys pressed in its viewer's window."""

    def __init__(self, env, agent_index):
        super(InteractivePolicy, self).__init__()
        self.env = env
        self.move = [False] * 4  # left, right, up, down held
        self.comm = [False] * env.world.dim_c
        viewers = getattr(env, 'viewers', None)
        if not viewers or agent_index >= len(viewers) or viewers[agent_index] is None:
            raise ValueError('InteractivePolicy(env, %d): the env has no viewer %d yet; call env.render() '
                             'first (with shared_viewer=False for one window per agent)'
                             % (agent_index, agent_index))
        window = viewers[agent_index].window
        window.on_key_press = self.key_press
        window.on_key_release = self.key_release

    def action(self, obs):
        # the observation is ignored: the keys decide
        if self.env.discrete_action_input:
            # index input follows the env's index quirk: 1 moves towards -x, 2 +x, 3 -y, 4 +y
            u = 0
            if self.move[0]:
                u = 1
            if self.move[1]:
                u = 2
            if self.move[2]:
                u = 4
            if self.move[3]:
                u = 3
        else:
            # The original's mapping, kept: LEFT fills the +x entry of the one-hot layout
            # [noop, +x, -x, +y, -y] and UP the -y entry (mirrored against index input above).
            u = np.zeros(5)
            if self.move[0]:
                u[1] += 1.0
            if self.move[1]:
                u[2] += 1.0
            if self.move[3]:
                u[3] += 1.0
            if self.move[2]:
                u[4] += 1.0
            if True not in self.move:
                u[0] += 1.0
        return np.concatenate([np.atleast_1d(u), np.zeros(self.env.world.dim_c)])

    def key_press(self, k, mod):
        self._set(k, True)

    def key_release(self, k, mod):
        self._set(k, False)

    def _set(self, k, held):
        for slot, code in enumerate((key.LEFT, key.RIGHT, key.UP, key.DOWN)):
            if k == code:
                self.move[slot] = held
