"""MADDPGAgentTrainer with the original's interface, on maddpg_tf2's networks and update.

Each trainer owns one agent's actor, critic, targets and optimizers (maddpg_tf2.kernel.AgentNets) and
its own ReplayBuffer. `update(agents, t)` follows the original's schedule and mathematics: nothing until
the buffer holds batch_size * max_episode_len transitions, then one update when t % 100 == 0, from a
batch of indices drawn by this agent and read from every agent's buffer; it returns
[q_loss, p_loss, mean target_q, mean rew, mean target_q_next, std target_q].

The original's functions are attributes as there: `act(obs_batch)`, `p_train(*(obs_n + act_n))`,
`q_train(*(obs_n + act_n + [target_q]))`, `p_update()`, `q_update()`, `p_debug['p_values' |
'target_act']`, `q_debug['q_values' | 'target_q_values']`; they take and return numpy arrays.
Acting always reads the current weights, so weights assigned or restored (U.load_state) after
construction are used at once.

`model`: the function that builds each of the four networks:
- None: the default MLP (two relu layers of args.num_units, linear output).
- a function with the original's signature `model(input, num_outputs, scope, reuse=False,
  num_units=64, rnn_cell=None)` (recognised by its `scope` parameter), such as the original's
  `mlp_model`: called on real tensors with layers from `maddpg.common.layers` (the stand-in for
  tensorflow.contrib.layers); see that module.
- any other callable: `model(input_dim, num_outputs, num_units)` returning a Keras model or
  tf.Module mapping [B, input_dim] float32 to [B, num_outputs].
A model that cannot be used raises an error naming the problem; it is never replaced silently.
"""
import inspect
import logging

import numpy as np
import tensorflow as tf

import maddpg.common.tf_util as U
from maddpg import AgentTrainer
from maddpg.common.layers import TF1Model
from maddpg.trainer.replay_buffer import ReplayBuffer
from maddpg_tf2.checkpoint import original_optimizer_names
from maddpg_tf2.distributions import make_distribution
from maddpg_tf2.kernel import (AgentNets, UpdateSettings, actor_loss, clip_per_variable, critic_input, critic_loss,
                               net_vars, polyak_update, q_value)
from maddpg_tf2.networks import LAYER_NAMES, MLP, mlp_forward_np
from maddpg_tf2.seeding import tf_generator
from maddpg_tf2.sequential import update_agent

log = logging.getLogger(__name__)

UPDATE_EVERY = 100
NET_SCOPES = ("p_func", "target_p_func", "q_func", "target_q_func")


def _net_factory(model, num_units):
    """make_net(in_dim, out_dim, name) for AgentNets from the trainer's `model` argument."""
    if model is None:
        return None
    if not callable(model):
        raise TypeError("MADDPGAgentTrainer: model must be None or a function building a network, not %r"
                        % (model,))
    if _is_tf1_builder(model):
        return lambda in_dim, out_dim, name: TF1Model(model, in_dim, out_dim, name, num_units=num_units)

    def make_net(in_dim, out_dim, name):
        net = model(in_dim, out_dim, num_units)
        if not callable(net):
            raise TypeError("model(input_dim, num_outputs, num_units) must return a Keras model or "
                            "tf.Module (callable); %r returned %r" % (model, net))
        out = net(tf.zeros([1, in_dim], tf.float32))  # builds the variables before the optimizer sees them
        if tuple(out.shape) != (1, out_dim):
            raise ValueError("model %r built a network with output shape %s for one input; expected "
                             "[batch, %d]" % (model, list(out.shape), out_dim))
        if not net_vars(net):
            raise ValueError("model %r built a network without trainable variables" % (model,))
        return net
    return make_net


def _is_tf1_builder(model):
    try:
        return "scope" in inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False


def _shape_size(shape):
    return int(np.prod(shape))


def _f32(x):
    return tf.convert_to_tensor(np.asarray(x, dtype=np.float32))


class MADDPGAgentTrainer(AgentTrainer):
    def __init__(self, name, model, obs_shape_n, act_space_n, agent_index, args, local_q_func=False):
        self.name = name
        self.n = len(obs_shape_n)
        self.agent_index = agent_index
        self.args = args
        self.local_q_func = bool(local_q_func)
        obs_dims = [_shape_size(s) for s in obs_shape_n]
        dists = [make_distribution(s) for s in act_space_n]
        self._dists = dists
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
        # Numpy copies of the MLP actors' weights (acting in numpy is many times faster than a
        # TensorFlow call), dropped whenever those weights change: by this trainer's own steps, and
        # by any assign to the variables (load_state, checkpoint restores, user code), watched below.
        self._np_weights = {}
        for net in (self.nets.actor, self.nets.target_actor):
            if isinstance(net, MLP):
                _watch_writes(net.variables_in_order, self._np_weights)
        # Every network's forward pass as one graph traced once (any batch size): acting and the
        # debug functions run it, so a user's model function is called a fixed number of times per
        # trainer (building and tracing), not once per action as an eager call would.
        self._forward = {id(net): _compiled_forward(net, d) for net, d in (
            (self.nets.actor, obs_dims[i]), (self.nets.target_actor, obs_dims[i]),
            (self.nets.critic, critic_in), (self.nets.target_critic, critic_in))}
        self._build_functions()
        U.register_trainer(self)

    # ------------------------------------------------------------------ acting
    def _params(self, net, obs_batch):
        obs_batch = np.asarray(obs_batch, np.float32)
        if isinstance(net, MLP):
            weights = self._np_weights.get(net.name)
            if weights is None:
                weights = self._np_weights[net.name] = net.get_numpy()
            return mlp_forward_np(weights, obs_batch)
        return self._forward[id(net)](tf.convert_to_tensor(obs_batch)).numpy()

    def action(self, obs):
        """A sampled action for one observation (numpy's global generator: np.random.seed applies)."""
        return self.act(np.asarray(obs)[None])[0]

    def experience(self, obs, act, rew, new_obs, done, terminal):
        """Store a transition in this agent's replay buffer."""
        self.replay_buffer.add(obs, act, rew, new_obs, float(done))

    def preupdate(self):
        self.replay_sample_index = None

    # ------------------------------------------------------------------ the original's functions
    def _build_functions(self):
        nets, dist = self.nets, self.nets.dist
        seed = lambda: self._tf_rng.uniform_full_int([2], dtype=tf.int32)
        i, hp = self.agent_index, self._settings
        me = self

        def act(obs_batch):
            return dist.sample_np(me._params(nets.actor, obs_batch), np.random)

        def target_act(obs_batch):
            return dist.sample_np(me._params(nets.target_actor, obs_batch), np.random)

        def q_fn(net, args):
            obs_n, act_n = [_f32(a) for a in args[:self.n]], [_f32(a) for a in args[self.n:2 * self.n]]
            return tf.reshape(me._forward[id(net)](critic_input(i, obs_n, act_n, nets.local_q)), [-1]).numpy()

        @tf.function(autograph=False)
        def q_step(obs_n, act_n, target):
            critic_vars = net_vars(nets.critic)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(critic_vars)
                loss = critic_loss(q_value(nets.critic, critic_input(i, obs_n, act_n, nets.local_q)), target)
            nets.critic_opt.apply(clip_per_variable(tape.gradient(loss, critic_vars), hp.grad_clip),
                                  critic_vars)
            return loss

        @tf.function(autograph=False)
        def p_step(obs_n, act_n):
            actor_vars = net_vars(nets.actor)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(actor_vars)
                params = nets.actor(obs_n[i])
                acts = list(act_n)
                acts[i] = dist.sample(params, seed())
                q = q_value(nets.critic, critic_input(i, obs_n, acts, nets.local_q))
                loss = actor_loss(q, params, hp.policy_regulariser)
            nets.actor_opt.apply(clip_per_variable(tape.gradient(loss, actor_vars), hp.grad_clip), actor_vars)
            return loss

        def q_train(*args):
            """Critic step towards the given targets: q_train(*(obs_n + act_n + [target_q])) -> loss."""
            n = self.n
            return float(q_step([_f32(a) for a in args[:n]], [_f32(a) for a in args[n:2 * n]],
                                tf.reshape(_f32(args[2 * n]), [-1])))

        def p_train(*args):
            """Actor step (own action replaced by a fresh sample): p_train(*(obs_n + act_n)) -> loss."""
            n = self.n
            loss = float(p_step([_f32(a) for a in args[:n]], [_f32(a) for a in args[n:2 * n]]))
            me._np_weights.clear()
            return loss

        def p_update():
            polyak_update(net_vars(nets.actor), net_vars(nets.target_actor), hp.tau)
            me._np_weights.clear()

        def q_update():
            polyak_update(net_vars(nets.critic), net_vars(nets.target_critic), hp.tau)

        self.act, self.q_train, self.p_train = act, q_train, p_train
        self.p_update, self.q_update = p_update, q_update
        self.p_debug = {"p_values": lambda obs: self._params(nets.actor, obs), "target_act": target_act}
        self.q_debug = {"q_values": lambda *args: q_fn(nets.critic, args),
                        "target_q_values": lambda *args: q_fn(nets.target_critic, args)}

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
        # critic step, actor step and both target updates in one compiled call (the same steps as
        # q_train, p_train, p_update, q_update in turn)
        m = self._update_fn(agents)(batch)
        self._np_weights.clear()
        i = self.agent_index
        names = ("loss/critic", "loss/actor", "q/target_mean", "reward/mean", "q/next_target_mean", "q/target_std")
        return [float(m[f"{k}_{i}"]) for k in names]

    # ------------------------------------------------------------------ variables by original name
    def original_variables(self):
        """The original's variable name -> variable: weights and targets under
        `<name>/<p_func|target_p_func|q_func|target_q_func>/...`, Adam slots under
        `<name>/<name>/<scope>/.../Adam{,_1}`, beta powers under `<name>/` (critic) and `<name>_1/`
        (actor), as TF1 named them."""
        nets, name = self.nets, self.name
        out = {}
        layer_names = {}
        for scope, net in zip(NET_SCOPES, (nets.actor, nets.target_actor, nets.critic, nets.target_critic)):
            layer_names[scope] = names = _layer_names(net, scope)
            for n, v in zip(names, net_vars(net)):
                out[f"{name}/{scope}/{n}"] = v
        out.update(original_optimizer_names(name, layer_names, nets.actor_opt, nets.critic_opt))
        return out


def _compiled_forward(net, in_dim):
    """net(x) for float32 x of shape [batch, in_dim], compiled (on first use) once for every batch
    size; the concrete function is called directly, which skips tf.function's per-call argument
    matching (about a third of a batch-1 call)."""
    traced = tf.function(lambda x: net(x), input_signature=[tf.TensorSpec([None, int(in_dim)], tf.float32)],
                         autograph=False)
    concrete = []

    def forward(x):
        if not concrete:
            concrete.append(traced.get_concrete_function())
        return concrete[0](x)
    return forward


def _watch_writes(variables, cache):
    """Empties `cache` whenever one of the variables is assigned (assign, assign_add, assign_sub:
    also what tf.compat.v1.assign, checkpoint restores and Keras' set_weights call)."""
    for v in variables:
        for method in ("assign", "assign_add", "assign_sub"):
            def wrapped(*args, _write=getattr(v, method), **kwargs):
                cache.clear()
                return _write(*args, **kwargs)
            setattr(v, method, wrapped)


def _layer_names(net, scope):
    """Names of a network's variables below its scope, in _net_vars order."""
    if isinstance(net, MLP):
        return [f"{layer}/{kind}" for layer in LAYER_NAMES for kind in ("weights", "biases")]
    if isinstance(net, TF1Model):
        return [n[len(scope) + 1:] if n.startswith(scope + "/") else n for n in net.store]
    names, seen = [], set()
    for v in net_vars(net):
        base = getattr(v, "path", None) or v.name.split(":")[0]
        n, k = base, 1
        while n in seen:
            n, k = f"{base}_{k}", k + 1
        seen.add(n)
        names.append(n)
    return names
