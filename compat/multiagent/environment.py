"""MultiAgentEnv: the original MPE's gym-style environment over a `multiagent.core.World`.

reset() -> obs_n; step(action_n) -> (obs_n, reward_n, done_n, {'n': info_n}), lists over the policy
agents. Action vectors follow the original layout: per agent, the movement one-hot part
[noop, +x, -x, +y, -y] then the communication part (dim_c values), as one flat vector.
"""
import logging

import gymnasium as gym
import numpy as np

from maddpg_tf2 import render as render_lib
from maddpg_tf2.envs import spaces
from maddpg_tf2.envs.physics import SENSITIVITY
from multiagent.multi_discrete import MultiDiscrete

logger = logging.getLogger(__name__)

_COMM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _space_sizes(space):
    """Lengths of the sub-vectors an action for `space` is made of."""
    if isinstance(space, MultiDiscrete):
        return space.sizes
    if isinstance(space, gym.spaces.Discrete):  # gymnasium's classes: ours and users' spaces alike
        return [int(space.n)]
    if isinstance(space, gym.spaces.Box):
        return [int(np.prod(space.shape))]
    if isinstance(space, gym.spaces.Tuple):
        return [size for sub in space.spaces for size in _space_sizes(sub)]
    raise TypeError('unsupported action space %r' % (space,))


class MultiAgentEnv(gym.Env):
    metadata = {'render.modes': ['human', 'rgb_array'], 'render_modes': ['human', 'rgb_array']}

    def __init__(self, world, reset_callback=None, reward_callback=None, observation_callback=None,
                 info_callback=None, done_callback=None, shared_viewer=True, discrete_action=True,
                 post_step_callback=None, discrete_action_space=None):
        """The original's arguments in the original's order (a 7th positional argument is
        shared_viewer, as the original's train.py passes it), plus two that forks of the MPE added,
        by keyword: discrete_action=False gives Box (continuous) action spaces instead of one-hot
        vectors; post_step_callback(world) runs after every world step. discrete_action_space (the
        original's attribute name) is accepted as a keyword too and wins over discrete_action."""
        self.world = world
        self.agents = self.world.policy_agents
        self.n = len(world.policy_agents)
        self.reset_callback = reset_callback
        self.reward_callback = reward_callback
        self.observation_callback = observation_callback
        self.info_callback = info_callback
        self.done_callback = done_callback
        self.post_step_callback = post_step_callback
        # actions are one-hot (or soft) vectors per discrete sub-space; False: the original's
        # continuous mode (Box movement in [-u_range, u_range], Box comm in [0, 1])
        if discrete_action_space is not None:
            discrete_action = discrete_action_space
        self.discrete_action_space = bool(discrete_action)
        # if true, an action is an index per sub-space instead of a vector
        self.discrete_action_input = False
        # if true, the movement part is replaced by the one-hot of its argmax
        self.force_discrete_action = getattr(world, 'discrete_action', False)
        # collaborative worlds give every agent the sum of all rewards
        self.shared_reward = getattr(world, 'collaborative', False)
        self.time = 0

        self.action_space = []
        self.observation_space = []
        for agent in self.agents:
            self.action_space.append(self._make_action_space(agent))
            obs_dim = len(self._get_obs(agent))
            self.observation_space.append(spaces.Box(low=-np.inf, high=+np.inf, shape=(obs_dim,),
                                                     dtype=np.float32))
            agent.action.c = np.zeros(self.world.dim_c)

        self.shared_viewer = shared_viewer
        self.viewers = [None] if shared_viewer else [None] * self.n
        self._warned_no_display = False
        self._reset_render()

    def _make_action_space(self, agent):
        """Movement (if movable) then communication (if not silent); two discrete parts make a
        MultiDiscrete, as the original."""
        world = self.world
        parts = []  # (discrete?, size or space)
        if agent.movable:
            if self.discrete_action_space:
                parts.append(world.dim_p * 2 + 1)
            else:
                parts.append(spaces.Box(low=-agent.u_range, high=+agent.u_range, shape=(world.dim_p,),
                                        dtype=np.float32))
        if not agent.silent:
            if self.discrete_action_space:
                parts.append(world.dim_c)
            else:
                parts.append(spaces.Box(low=0.0, high=1.0, shape=(world.dim_c,), dtype=np.float32))
        if not parts:
            raise ValueError('agent %r neither moves nor speaks: it has no action space' % agent.name)
        if self.discrete_action_space:
            # gymnasium's Discrete needs n > 0; dim_c may be 0 for agents left not silent
            if len(parts) == 1 and parts[0] > 0:
                return spaces.Discrete(parts[0])
            return MultiDiscrete([[0, n - 1] for n in parts])
        return parts[0] if len(parts) == 1 else spaces.Tuple(parts)

    def step(self, action_n):
        self.agents = self.world.policy_agents
        if len(action_n) != len(self.agents):
            raise ValueError('step() got %d actions for %d policy agents' % (len(action_n), len(self.agents)))
        for i, agent in enumerate(self.agents):
            self._set_action(action_n[i], agent, self.action_space[i])
        self.world.step()
        if self.post_step_callback is not None:
            self.post_step_callback(self.world)
        obs_n, reward_n, done_n, info_n = [], [], [], {'n': []}
        for agent in self.agents:
            obs_n.append(self._get_obs(agent))
            reward_n.append(self._get_reward(agent))
            done_n.append(self._get_done(agent))
            info_n['n'].append(self._get_info(agent))
        if self.shared_reward:
            reward_n = [np.sum(reward_n)] * self.n
        return obs_n, reward_n, done_n, info_n

    def seed(self, seed=None):
        """Seeds what the episodes draw from: numpy's global generator (the scenarios' reset_world and
        the noise use np.random, as the original's) and the action spaces' samplers. Returns [seed],
        as gym's seed() did. (The original inherited a seed() from gym that seeded nothing.)"""
        np.random.seed(seed)
        for k, space in enumerate(self.action_space):
            space.seed(None if seed is None else seed + k)
        return [seed]

    def reset(self):
        self.reset_callback(self.world)
        self._reset_render()
        self.agents = self.world.policy_agents
        return [self._get_obs(agent) for agent in self.agents]

    def _get_info(self, agent):
        if self.info_callback is None:
            return {}
        return self.info_callback(agent, self.world)

    def _get_obs(self, agent):
        if self.observation_callback is None:
            return np.zeros(0)
        return np.asarray(self.observation_callback(agent, self.world), dtype=np.float64)

    def _get_done(self, agent):
        # the built-in scenarios never end an episode: agents may leave the screen
        if self.done_callback is None:
            return False
        return self.done_callback(agent, self.world)

    def _get_reward(self, agent):
        if self.reward_callback is None:
            return 0.0
        return self.reward_callback(agent, self.world)

    def _split_action(self, action, agent, action_space):
        """The action as a list with one entry per sub-space (vector, or index with discrete input)."""
        sizes = _space_sizes(action_space)
        if self.discrete_action_input:
            parts = list(np.ravel(action))
            if len(parts) != len(sizes):
                raise ValueError('agent %r: action %r should hold %d index(es), one per sub-space of its '
                                 'action space %r' % (agent.name, action, len(sizes), action_space))
            return parts
        if isinstance(action_space, gym.spaces.Tuple) and len(action) == len(sizes) and not np.isscalar(action[0]):
            parts = [np.array(part, dtype=np.float64).ravel() for part in action]
            if [len(p) for p in parts] == sizes:
                return parts
        flat = np.array(action, dtype=np.float64).ravel()  # a copy: the caller's array stays untouched
        if len(flat) != sum(sizes):
            raise ValueError('agent %r: action of length %d does not fit its action space %r, which '
                             'expects a vector of length %d (sub-spaces of sizes %s)'
                             % (agent.name, len(flat), action_space, sum(sizes), sizes))
        return list(np.split(flat, np.cumsum(sizes)[:-1]))

    def _set_action(self, action, agent, action_space):
        agent.action.u = np.zeros(self.world.dim_p)
        agent.action.c = np.zeros(self.world.dim_c)
        parts = self._split_action(action, agent, action_space)
        if agent.movable:
            if self.discrete_action_input:
                # Quirk kept from the original: index 1 moves towards -x and 2 towards +x, the
                # opposite of the one-hot layout [noop, +x, -x, +y, -y]; likewise 3 and 4 for y.
                index = int(parts[0])
                if index == 1:
                    agent.action.u[0] = -1.0
                if index == 2:
                    agent.action.u[0] = +1.0
                if index == 3:
                    agent.action.u[1] = -1.0
                if index == 4:
                    agent.action.u[1] = +1.0
            else:
                move = parts[0]
                if self.force_discrete_action:
                    hot = np.zeros_like(move)
                    hot[np.argmax(move)] = 1.0
                    move = hot
                if self.discrete_action_space:
                    agent.action.u[0] += move[1] - move[2]
                    agent.action.u[1] += move[3] - move[4]
                else:
                    agent.action.u = move
            sensitivity = SENSITIVITY if agent.accel is None else agent.accel
            agent.action.u = agent.action.u * sensitivity
            parts = parts[1:]
        if not agent.silent:
            if self.discrete_action_input:
                agent.action.c = np.zeros(self.world.dim_c)
                agent.action.c[int(parts[0])] = 1.0
            else:
                agent.action.c = parts[0]
            parts = parts[1:]

    def _reset_render(self):
        # frames are drawn afresh from the world each time; the original's geometry caches stay None
        self.render_geoms = None
        self.render_geoms_xform = None

    def _comm_lines(self):
        """'speaker to listener: letter' for every agent that can speak ('_' when it says nothing)."""
        lines = []
        for agent in self.world.agents:
            for other in self.world.agents:
                if other is agent or other.silent or other.state.c is None:
                    continue
                word = '_' if np.all(other.state.c == 0) else _COMM_ALPHABET[int(np.argmax(other.state.c))]
                lines.append('%s to %s: %s' % (other.name, agent.name, word))
        return lines

    def render(self, mode='human'):
        """Draws one 700 x 700 frame per viewer: the shared one centred at the origin, or one per
        policy agent centred on it. 'rgb_array' returns the frames (uint8 [700, 700, 3]); 'human'
        shows them when a display exists and returns [None] per viewer, as the original (the frames
        stay in viewer.last_frame)."""
        if mode not in ('human', 'rgb_array'):
            raise ValueError("render mode must be 'human' or 'rgb_array', not %r" % (mode,))
        from multiagent import rendering

        lines = self._comm_lines()
        if mode == 'human' and lines:
            print('   '.join(lines))  # the original prints the messages in human mode
        if mode == 'human' and not render_lib.has_display() and not self._warned_no_display:
            logger.warning("render(mode='human'): no display found; nothing is shown (render('rgb_array') "
                           "returns the frames)")
            self._warned_no_display = True
        results = []
        cam_range = 1.0
        for i in range(len(self.viewers)):
            if self.viewers[i] is None:
                self.viewers[i] = rendering.Viewer(700, 700)
            viewer = self.viewers[i]
            center = np.zeros(self.world.dim_p) if self.shared_viewer else self.agents[i].state.p_pos
            viewer.set_bounds(center[0] - cam_range, center[0] + cam_range,
                              center[1] - cam_range, center[1] + cam_range)
            frame = viewer.draw(self.world, text_lines=lines)
            if mode == 'rgb_array':
                viewer.last_frame = frame
                results.append(frame)
            else:
                viewer.show(frame)
                results.append(None)
        return results

    def close(self):
        for viewer in self.viewers:
            if viewer is not None:
                viewer.close()


class BatchMultiAgentEnv(gym.Env):
    """Several MultiAgentEnv side by side; agents' lists are concatenated env after env."""

    metadata = {'runtime.vectorized': True, 'render.modes': ['human', 'rgb_array']}

    def __init__(self, env_batch):
        self.env_batch = env_batch

    @property
    def n(self):
        return int(np.sum([env.n for env in self.env_batch]))

    @property
    def action_space(self):
        return self.env_batch[0].action_space

    @property
    def observation_space(self):
        return self.env_batch[0].observation_space

    def step(self, action_n, time=None):
        # `time` is accepted for the original's signature and ignored
        obs_n, reward_n, done_n, info_n = [], [], [], {'n': []}
        i = 0
        for env in self.env_batch:
            obs, reward, done, info = env.step(action_n[i:(i + env.n)])
            i += env.n
            obs_n += obs
            reward_n += reward
            done_n += done
            info_n['n'] += info['n']
        return obs_n, reward_n, done_n, info_n

    def reset(self):
        obs_n = []
        for env in self.env_batch:
            obs_n += env.reset()
        return obs_n

    def render(self, mode='human', close=True):
        results_n = []
        for env in self.env_batch:
            results_n += env.render(mode)
        return results_n

    def seed(self, seed=None):
        """Seeds numpy's global generator (which every env of the batch draws from)."""
        return self.env_batch[0].seed(seed) if self.env_batch else [seed]
