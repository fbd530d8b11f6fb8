"""MADDPGAgentTrainer with the original's interface, on maddpg_tf2's networks and update.

Each trainer owns one agent's actor, critic, targets and optimizers (maddpg_tf2.learner.AgentNets) and
its own ReplayBuffer. `update(agents, t)` follows the original's schedule and mathematics: nothing until
the buffer holds batch_size * max_episode_len transitions, then one update when t % 100 == 0, from a
batch of indices drawn by this agent and read from every agent's buffer; it returns
[q_loss, p_loss, mean target_q, mean rew, mean target_q_next, std target_q].

`model`: None or the original's TF1 builder (`mlp_model(input, num_outputs, scope, reuse, num_units)`,
recognised by its `scope` parameter) both give the default MLP with args.num_units; any other callable
is called as model(input_dim, num_outputs, num_units) and must return a Keras model (or tf.Module) that
maps [B, input_dim] float32 to [B, num_outputs].
"""
import inspect
import logging

import numpy as np
import tensorflow as tf

from maddpg import AgentTrainer
from maddpg.trainer.replay_buffer import ReplayBuffer
from maddpg_tf2.distributions import make_distribution
from maddpg_tf2.learner import AgentNets, UpdateSettings, update_agent
from maddpg_tf2.networks import MLP, mlp_forward_np
from maddpg_tf2.seeding import tf_generator

log = logging.getLogger(__name__)

UPDATE_EVERY = 100


def _net_factory(model, num_units):
    """make_net(in_dim, out_dim, name) for AgentNets from the trainer's `model` argument."""
    if model is None or _is_tf1_builder(model):
        if model is not None and getattr(model, "__name__", "") != "mlp_model":
            log.warning("model %r is a TF1 builder (has a `scope` parameter) and cannot run on TF2; "
                        "using the default MLP", model)
        return None

    def make_net(in_dim, out_dim, name):
        net = model(in_dim, out_dim, num_units)
        net(tf.zeros([1, in_dim], tf.float32))  # build the variables before the optimizer sees them
        return net
    return make_net


def _is_tf1_builder(model):
    try:
        return "scope" in inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False


def _shape_size(shape):
    return int(np.prod(shape))


class MADDPGAgentTrainer(AgentTrainer):
    def __init__(self, name, model, obs_shape_n, act_space_n, agent_index, args, local_q_func=False):
        self.name = name
        self.n = len(obs_shape_n)
        self.agent_index = agent_index
        self.args = args
        obs_dims = [_shape_size(s) for s in obs_shape_n]
        dists = [make_distribution(s) for s in act_space_n]
        act_dims = [d.action_size for d in dists]
        i = agent_index
        critic_in = obs_dims[i] + act_dims[i] if local_q_func else sum(obs_dims) + sum(act_dims)
        self.nets = AgentNets(i, dists[i], obs_dims[i], critic_in, args.num_units, args.lr, args.lr,
                              local_q_func, "independent", np.random.default_rng(),
                              _net_factory(model, args.num_units))
        self.replay_buffer = ReplayBuffer(1e6)
        self.max_replay_buffer_len = args.batch_size * args.max_episode_len
        self.replay_sample_index = None
        self._settings = UpdateSettings(gamma=args.gamma, tau=0.01, grad_clip=0.5, policy_regulariser=1e-3)
        self._tf_rng = tf_generator(int(np.random.randint(2 ** 31)))  # np.random.seed applies
        self._compiled = {}
        self._np_weights = None

    # ------------------------------------------------------------------ acting
    def _actor_params(self, obs_batch):
        if isinstance(self.nets.actor, MLP):
            if self._np_weights is None:  # refreshed after each update
                self._np_weights = self.nets.actor.get_numpy()
            return mlp_forward_np(self._np_weights, np.asarray(obs_batch, np.float32))
        return self.nets.actor(tf.convert_to_tensor(obs_batch, tf.float32)).numpy()

    def action(self, obs):
        """A sampled action for one observation (numpy's global generator: np.random.seed applies)."""
        params = self._actor_params(np.asarray(obs)[None])
        return self.nets.dist.sample_np(params, np.random)[0]

    def experience(self, obs, act, rew, new_obs, done, terminal):
        """Store a transition in this agent's replay buffer."""
        self.replay_buffer.add(obs, act, rew, new_obs, float(done))

    def preupdate(self):
        self.replay_sample_index = None

    # ------------------------------------------------------------------ learning
    def _update_fn(self, agents):
        key = tuple(id(a) for a in agents)
        if key not in self._compiled:
            nets = [a.nets for a in agents]
            seed = lambda: self._tf_rng.uniform_full_int([2], dtype=tf.int32)
            i = self.agent_index
            self._compiled[key] = tf.function(
                lambda batch: update_agent(i, nets, batch, self._settings, seed))
        return self._compiled[key]

    def update(self, agents, t):
        if len(self.replay_buffer) < self.max_replay_buffer_len:  # replay buffer is not large enough
            return None
        if not t % UPDATE_EVERY == 0:  # one update per 100 steps
            return None
        self.replay_sample_index = self.replay_buffer.make_index(self.args.batch_size)
        index = self.replay_sample_index
        obs_n, act_n, obs_next_n = [], [], []
        for a in agents:
            obs, act, _, obs_next, _ = a.replay_buffer.sample_index(index)
            obs_n.append(obs)
            act_n.append(act)
            obs_next_n.append(obs_next)
        _, _, rew, _, done = self.replay_buffer.sample_index(index)
        batch = {"obs_n": obs_n, "act_n": act_n, "next_obs_n": obs_next_n, "rew": rew, "done": done}
        m = self._update_fn(agents)(batch)
        self._np_weights = None
        i = self.agent_index
        names = ("loss/critic", "loss/actor", "q/target_mean", "reward/mean", "q/next_target_mean", "q/target_std")
        return [float(m[f"{k}_{i}"]) for k in names]
