"""MADDPG / DDPG learner: per agent an actor, a critic, their targets and two Adam optimizers, and one
compiled train step that updates every agent (docs/original.md §3).

Order within an update round, as the original's `update`: for agent 0, 1, ... in turn: critic step,
then actor step (against the freshly updated critic), then polyak update of that agent's targets.
Agent i's critic target therefore sees the target actors of agents < i already moved this round.
`Config.agent_updates = "simultaneous"` starts every agent from the pre-round weights instead
(simultaneous.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.seeding import tf_generator

from maddpg_tf2.config import Config
from maddpg_tf2.distributions import make_distribution
from maddpg_tf2.networks import MLP

METRIC_NAMES = ("loss/critic", "loss/actor", "q/target_mean", "reward/mean", "q/next_target_mean",
                "q/target_std")


# ----------------------------------------------------------------------------- pure functions

def critic_target(rew, done, next_q, gamma):
    """y = r + gamma * (1 - done) * Q'(s', a'); time-limit ends are stored with done = 0 and bootstrap."""
    return rew + gamma * (1.0 - done) * next_q


def critic_loss(q, target):
    """Mean squared error of Q against the (constant) target."""
    return tf.reduce_mean(tf.square(q - tf.stop_gradient(target)))


def actor_loss(q, params, regulariser):
    """-mean Q(s, a_i = fresh sample) + regulariser * mean(params^2) (the actor's raw output)."""
    return -tf.reduce_mean(q) + regulariser * tf.reduce_mean(tf.square(params))


def clip_per_variable(grads, clip_norm):
    """Each gradient clipped to norm clip_norm on its own (the original's choice, not global norm):
    g * clip / max(||g||, clip), with the norms of all variables computed in one stacked op."""
    grads = list(grads)
    if clip_norm is None:
        return grads
    present = [g for g in grads if g is not None]
    if not present:
        return grads
    norms = tf.sqrt(tf.stack([tf.reduce_sum(tf.square(g)) for g in present]))
    scales = tf.unstack(clip_norm / tf.maximum(norms, clip_norm))
    it = iter(scales)
    return [None if g is None else g * next(it) for g in grads]


def polyak_update(online_vars, target_vars, tau):
    """target <- (1 - tau) * target + tau * online, pairwise, as target -= tau * (target - online)."""
    tau = tf.constant(tau, tf.float32)
    for v, t in zip(online_vars, target_vars):
        tf.raw_ops.ResourceApplyGradientDescent(var=t.handle, alpha=tau, delta=t - v)


def standardise(x, axis=0, eps=1e-8):
    """x standardised along `axis` (the batch; 1 for stacked agents' [G, B] rewards)."""
    mean, var = tf.nn.moments(x, axes=[axis], keepdims=True)
    return (x - mean) / (tf.sqrt(var) + eps)


# ----------------------------------------------------------------------------- optimizer

class Adam(tf.Module):
    """Adam as TF1's AdamOptimizer computes it (beta powers as state, eps added to sqrt(v) without bias
    correction). Own slots keep the mapping to the original's `Adam`, `Adam_1`, `beta{1,2}_power`
    one to one and the update XLA-compilable."""

    def __init__(self, variables: Sequence[tf.Variable], lr: float, beta1=0.9, beta2=0.999, eps=1e-8,
                 name="adam"):
        super().__init__(name=name)
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(beta1), float(beta2), float(eps)
        with self.name_scope:
            self.m = [tf.Variable(tf.zeros_like(v), trainable=False, name="m") for v in variables]
            self.v = [tf.Variable(tf.zeros_like(v), trainable=False, name="v") for v in variables]
            # TF1 starts the powers at beta (the value used by the first step).
            self.beta1_power = tf.Variable(self.beta1, trainable=False, name="beta1_power")
            self.beta2_power = tf.Variable(self.beta2, trainable=False, name="beta2_power")

    def apply(self, grads, variables):
        # ResourceApplyAdam is TF1's own Adam kernel: one fused op per variable instead of about
        # eight, which matters because the update round is dominated by per-op overhead.
        lr = tf.constant(self.lr, tf.float32)
        beta1 = tf.constant(self.beta1, tf.float32)
        beta2 = tf.constant(self.beta2, tf.float32)
        eps = tf.constant(self.eps, tf.float32)
        for g, var, m, v in zip(grads, variables, self.m, self.v):
            if g is None:
                continue
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle, m=m.handle, v=v.handle, beta1_power=self.beta1_power,
                beta2_power=self.beta2_power, lr=lr, beta1=beta1, beta2=beta2, epsilon=eps, grad=g)
        self.beta1_power.assign(self.beta1_power * self.beta1)
        self.beta2_power.assign(self.beta2_power * self.beta2)


# ----------------------------------------------------------------------------- one agent

class AgentNets(tf.Module):
    """One agent's actor (p_func), critic (q_func), targets and optimizers."""

    def __init__(self, index: int, dist, obs_dim: int, critic_in_dim: int, num_units: int,
                 actor_lr: float, critic_lr: float, local_q: bool, target_init: str = "independent",
                 rng: Optional[np.random.Generator] = None, make_net: Optional[Callable] = None):
        super().__init__(name=f"agent_{index}")
        rng = rng if rng is not None else np.random.default_rng()
        make_net = make_net or (lambda i, o, name: MLP(i, o, num_units, rng, name=name))
        self.index, self.dist, self.local_q = index, dist, bool(local_q)
        self.obs_dim, self.critic_in_dim = int(obs_dim), int(critic_in_dim)
        self.critic = make_net(critic_in_dim, 1, "q_func")
        self.target_critic = make_net(critic_in_dim, 1, "target_q_func")
        self.actor = make_net(obs_dim, dist.param_size, "p_func")
        self.target_actor = make_net(obs_dim, dist.param_size, "target_p_func")
        if target_init == "copy":
            for src, dst in ((self.actor, self.target_actor), (self.critic, self.target_critic)):
                for v, t in zip(_net_vars(src), _net_vars(dst)):
                    t.assign(v)
        elif target_init != "independent":
            raise ValueError(f"target_init must be 'independent' or 'copy', got {target_init!r}")
        self.actor_opt = Adam(_net_vars(self.actor), actor_lr, name="actor_adam")
        self.critic_opt = Adam(_net_vars(self.critic), critic_lr, name="critic_adam")


def _net_vars(net) -> List[tf.Variable]:
    """A network's variables in a fixed order (MLP's own order; Keras models' trainable order)."""
    if hasattr(net, "variables_in_order"):
        return net.variables_in_order
    return list(net.trainable_variables)


def q_value(critic, x):
    """The critic's [B, 1] output as [B] (a reshape: no copy, unlike slicing column 0)."""
    return tf.reshape(critic(x), [-1])


def critic_input(i, obs_n, act_n, local_q, obs_all=None):
    """A ddpg critic sees agent i's observation and action; a maddpg critic every observation and
    action. obs_all: the joint observation when already at hand (one piece instead of N)."""
    if local_q:
        return tf.concat([obs_n[i], act_n[i]], axis=-1)
    obs = list(obs_n) if obs_all is None else [obs_all]
    return tf.concat(obs + list(act_n), axis=-1)


@dataclass
class UpdateSettings:
    gamma: float = 0.95
    tau: float = 0.01
    grad_clip: Optional[float] = 0.5
    policy_regulariser: float = 1e-3
    standardise_rewards: bool = False

    @classmethod
    def from_config(cls, c: Config) -> "UpdateSettings":
        return cls(c.gamma, c.tau, c.grad_clip, c.policy_regulariser, c.standardise_rewards)


def _joint(batch_i: dict, key: str, parts_key: str):
    """The joint [B, sum of dims] array of a batch: given by the replay, else concatenated."""
    return batch_i[key] if key in batch_i else tf.concat(list(batch_i[parts_key]), axis=-1)


def _columns(x, dims: Sequence[int]) -> List[tf.Tensor]:
    """Per-agent column blocks of a joint [B, sum dims] tensor (plain slices: cheaper than SplitV)."""
    offsets = np.cumsum([0] + list(dims))
    return [x[:, int(a):int(b)] for a, b in zip(offsets[:-1], offsets[1:])]


def critic_step(i: int, agents: Sequence[AgentNets], batch_i: dict, next_act_n, hp: UpdateSettings):
    """Agent i's critic step towards y = r + gamma (1 - done) Q'(s', next_act_n), the target actions
    given; returns (critic loss, y, Q', the joint observation the critic input starts from or None)."""
    me = agents[i]
    rew, done = batch_i["rew"], batch_i["done"]
    rew_used = standardise(rew) if hp.standardise_rewards else rew
    obs_all = next_obs_all = None
    if not me.local_q:
        obs_all, next_obs_all = _joint(batch_i, "obs", "obs_n"), _joint(batch_i, "next_obs", "next_obs_n")
    next_q = q_value(me.target_critic, critic_input(i, batch_i["next_obs_n"], next_act_n, me.local_q, next_obs_all))
    y = tf.stop_gradient(critic_target(rew_used, done, next_q, hp.gamma))
    critic_vars = _net_vars(me.critic)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(critic_vars)
        q = q_value(me.critic, critic_input(i, batch_i["obs_n"], batch_i["act_n"], me.local_q, obs_all))
        q_loss = critic_loss(q, y)
    grads = clip_per_variable(tape.gradient(q_loss, critic_vars), hp.grad_clip)
    me.critic_opt.apply(grads, critic_vars)
    return q_loss, y, next_q, obs_all


def actor_step(i: int, me: AgentNets, policy, obs_n, act_n, obs_all, hp: UpdateSettings, next_seed: Callable,
               temperature=None):
    """Agent i's actor step against its (freshly updated) critic, then the polyak update of the
    actor's target. Own action replaced by a fresh sample of `policy` (the agent itself, or one
    sub-policy of an ensemble: an object with actor, actor_opt, target_actor), others' actions from
    the batch. Returns the actor loss."""
    actor_vars = _net_vars(policy.actor)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(actor_vars)
        params = policy.actor(obs_n[i])
        acts = list(act_n)
        acts[i] = me.dist.sample(params, next_seed(), temperature)
        q_pi = q_value(me.critic, critic_input(i, obs_n, acts, me.local_q, obs_all))
        p_loss = actor_loss(q_pi, params, hp.policy_regulariser)
    grads = clip_per_variable(tape.gradient(p_loss, actor_vars), hp.grad_clip)
    policy.actor_opt.apply(grads, actor_vars)
    polyak_update(actor_vars, _net_vars(policy.target_actor), hp.tau)
    return p_loss


def update_agent(i: int, agents: Sequence[AgentNets], batch_i: dict, hp: UpdateSettings,
                 next_seed: Callable, temperature=None, next_act_n=None) -> Dict[str, tf.Tensor]:
    """One MADDPG update of agent i from its own batch; returns the original's six numbers.

    batch_i: obs_n / act_n / next_obs_n lists over agents j of [B, .], rew [B], done [B]; optionally
    the joint obs / next_obs [B, sum of dims] as well (the critic's input then starts from those
    instead of concatenating N pieces).
    next_seed() gives a fresh stateless seed for every sample drawn.
    next_act_n: target actions given by the caller (inferred policies), None where agent j's own
    target actor acts.
    """
    me = agents[i]
    obs_n, act_n, next_obs_n = batch_i["obs_n"], batch_i["act_n"], batch_i["next_obs_n"]
    rew = batch_i["rew"]

    # Critic: target actions from every agent's target actor on its own next observation.
    given = next_act_n if next_act_n is not None else [None] * len(agents)
    next_act_n = [a.dist.sample(a.target_actor(next_obs_n[j]), next_seed(), temperature) if given[j] is None
                  else given[j] for j, a in enumerate(agents)]
    q_loss, y, next_q, obs_all = critic_step(i, agents, batch_i, next_act_n, hp)
    critic_vars = _net_vars(me.critic)

    p_loss = actor_step(i, me, me, obs_n, act_n, obs_all, hp, next_seed, temperature)
    polyak_update(critic_vars, _net_vars(me.target_critic), hp.tau)
    values = (q_loss, p_loss, tf.reduce_mean(y), tf.reduce_mean(rew), tf.reduce_mean(next_q),
              tf.math.reduce_std(y))
    return {f"{name}_{i}": v for name, v in zip(METRIC_NAMES, values)}


def batch_for_agent(batch: dict, i: int) -> dict:
    """Agent i's slice of the replay batch (leading axis N = the agent being updated)."""
    return {
        "obs_n": [x[i] for x in batch["obs_n"]],
        "act_n": [x[i] for x in batch["act_n"]],
        "next_obs_n": [x[i] for x in batch["next_obs_n"]],
        "rew": batch["rew"][i][:, i],
        "done": batch["done"][i][:, i],
    }


# Ensembles (ensembles.py): sub-policy tags [N, B, N], partition batches; inferred policies (inference.py):
# the latest transitions [N, L, .] and their tags.
EXTRA_BATCH_KEYS = ("tag", "sub_obs", "sub_act", "latest_obs", "latest_act", "latest_tag")


def _with_extras(batch_i: dict, batch: dict, i: int) -> dict:
    """Agent i's slices of the extensions' batch entries (EXTRA_BATCH_KEYS), added to batch_i."""
    batch_i.update({k: batch[k][i] for k in EXTRA_BATCH_KEYS if k in batch})
    return batch_i


def local_q_flags(config: Config, n_agents: int) -> List[bool]:
    """ddpg (local critic) per agent."""
    return [p == "ddpg" for p in config.agent_policies(n_agents)]


def make_estimator_for(config: Config):
    """None for the original soft sample (distributions.py's own), else estimators.make_estimator."""
    if config.gradient_estimator == "gumbel":
        return None
    from maddpg_tf2.estimators import make_estimator
    return make_estimator(config.gradient_estimator, temperature=config.gumbel_temp,
                          rao_k=config.rao_k, gst_gap=config.gst_gap)


# ----------------------------------------------------------------------------- all agents

class Learner(tf.Module):
    """All agents' networks and the compiled update round.

    obs_dims: d_i per agent; act_spaces: action space per agent; local_q_n: True where the agent is a
    ddpg agent (critic on its own obs and action); None derives it from the config.
    """

    def __init__(self, config: Config, obs_dims: Sequence[int], act_spaces: Sequence,
                 local_q_n: Optional[Sequence[bool]] = None, seed: Optional[int] = None,
                 make_net: Optional[Callable] = None):
        super().__init__(name="learner")
        self.config = config
        n = len(obs_dims)
        seed = config.seed if seed is None else seed
        self.local_q_n = list(local_q_n) if local_q_n is not None else local_q_flags(config, n)
        estimator = make_estimator_for(config)
        self.dists = [make_distribution(s, estimator, config.gumbel_temp, box=config.box_policy,
                                        noise=config.action_noise) for s in act_spaces]
        self.obs_dims = [int(d) for d in obs_dims]
        self.act_dims = [d.action_size for d in self.dists]
        self.num_units = config.num_units
        init_rng = np.random.default_rng(seed)
        self.agents = []
        for i in range(n):
            critic_in = (self.obs_dims[i] + self.act_dims[i]) if self.local_q_n[i] else \
                sum(self.obs_dims) + sum(self.act_dims)
            self.agents.append(AgentNets(i, self.dists[i], self.obs_dims[i], critic_in, config.num_units,
                                         config.actor_learning_rate, config.critic_learning_rate,
                                         self.local_q_n[i], config.target_init, init_rng, make_net))
        from maddpg_tf2.ensembles import make_ensembles
        from maddpg_tf2.inference import make_inference
        self.ensemble = make_ensembles(self, config, make_net, init_rng)  # None at ensemble_size 1
        self.inference = make_inference(self, config, make_net, init_rng)  # None unless infer_policies
        self.settings = UpdateSettings.from_config(config)
        self.rng = tf_generator(seed)
        self.update_rounds = tf.Variable(0, dtype=tf.int64, trainable=False, name="update_rounds")
        self._read_actors = None
        self.last_actor_weights = None  # the actors as the latest train_step left them
        self.stack_agents = True  # simultaneous updates: same-shaped agents as one stack (see simultaneous.py)
        self._concrete = {}  # traced train steps (autograph off: plain Python loops over agents)

    @property
    def n(self) -> int:
        return len(self.agents)

    def _next_seed(self):
        return self.rng.uniform_full_int([2], dtype=tf.int32)

    def temperature(self):
        """The estimators' temperature for this round (scheduled for TAGS)."""
        c = self.config
        if c.gradient_estimator == "tags":
            from maddpg_tf2.estimators import tags_temperature
            return tags_temperature(self.update_rounds, c.tags_start, c.tags_end, c.tags_period)
        return None

    def _train_step(self, batch):
        metrics = {}
        temperature = self.temperature()
        for i in range(self.n):
            metrics.update(self._update_agent(i, _with_extras(batch_for_agent(batch, i), batch, i), temperature))
        self.update_rounds.assign_add(1)
        return metrics

    def _train_step_joint(self, joint):
        metrics = {}
        temperature = self.temperature()
        for i in range(self.n):
            obs, act, next_obs = joint["obs"][i], joint["act"][i], joint["next_obs"][i]
            batch_i = {"obs": obs, "next_obs": next_obs,
                       "obs_n": _columns(obs, self.obs_dims), "act_n": _columns(act, self.act_dims),
                       "next_obs_n": _columns(next_obs, self.obs_dims),
                       "rew": joint["rew"][i][:, i], "done": joint["done"][i][:, i]}
            metrics.update(self._update_agent(i, _with_extras(batch_i, joint, i), temperature))
        self.update_rounds.assign_add(1)
        return metrics

    def _update_agent(self, i, batch_i, temperature):
        """Agent i's update: plain MADDPG, or with the paper's extensions (ensembles.py, inference.py)."""
        metrics, next_act_n = {}, None
        if self.inference is not None:
            metrics, next_act_n = self.inference.step(i, batch_i, self.settings, self._next_seed, temperature)
        update = self.ensemble.update_agent if self.ensemble is not None else update_agent
        metrics.update(update(i, self.agents, batch_i, self.settings, self._next_seed, temperature,
                              next_act_n=next_act_n))
        return metrics

    def behaviour_params(self, j, obs_j, batch_i):
        """Parameters of the policy that acted for agent j in each row (its sub-policy in ensembles)."""
        if self.ensemble is not None:
            return self.ensemble.behaviour_params(j, obs_j, batch_i)
        return self.agents[j].actor(obs_j)

    def extra_trackables(self) -> Dict[str, tf.Module]:
        """Checkpointed beside the agents: sub-policies 1..K-1 and the inferred policies."""
        out = {}
        for part in (self.ensemble, self.inference):
            if part is not None:
                out.update(part.trackables())
        return out

    def _train_step_simultaneous(self, batch):
        # Every agent from the pre-round weights, same-shaped agents stacked (simultaneous.py).
        from maddpg_tf2 import simultaneous as sim
        if "obs" not in batch:
            batch = dict(batch, **{k: tf.concat(list(batch[f"{k}_n"]), axis=-1) for k in ("obs", "act", "next_obs")})
        seeds = self.rng.uniform_full_int([self.n, self.n + 1, 2], dtype=tf.int32)
        new_state, metrics = sim.simultaneous_update(
            sim.agent_specs(self.agents), sim.read_state(self.agents), batch, range(self.n), self.settings,
            seeds, self.temperature(), stack=self.stack_agents)
        sim.write_state(self.agents, new_state)
        self.update_rounds.assign_add(1)
        return metrics

    def train_step(self, batch: dict) -> Dict[str, tf.Tensor]:
        """One update round of every agent; batch as the replay returns it (see module docstring).

        Joint arrays (`obs`, `act`, `next_obs` [N, B, sum of dims], as Replay also gives) are used
        when present: five tensor conversions instead of 3N + 2, the slicing happens in the graph.
        The same call leaves the updated actor weights in `last_actor_weights` (tensors), which
        saves the acting policy a second call after every round."""
        f32 = lambda x: tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
        if all(k in batch for k in ("obs", "act", "next_obs")):
            keys, fn = ("obs", "act", "next_obs", "rew", "done"), self._train_step_joint
        else:
            keys, fn = ("obs_n", "act_n", "next_obs_n", "rew", "done"), self._train_step
        keys += tuple(k for k in EXTRA_BATCH_KEYS if k in batch)
        if self.config.agent_updates == "simultaneous":
            fn = self._train_step_simultaneous
        batch = {k: ([f32(x) for x in batch[k]] if k.endswith("_n") else f32(batch[k])) for k in keys}
        key = (fn, keys)
        if key not in self._concrete:
            # Calling the traced graph directly: tf.function's per-call signature matching of this
            # nested batch cost about 10 ms, as much as the update itself.
            spec = tf.nest.map_structure(
                lambda t: tf.TensorSpec([t.shape[0], None] + t.shape[2:], tf.float32), batch)
            step_and_actors = lambda b: (fn(b), self._actor_tensors())
            self._concrete[key] = tf.function(step_and_actors, jit_compile=bool(self.config.jit_compile),
                                             autograph=False).get_concrete_function(spec)
        metrics, self.last_actor_weights = self._concrete[key](batch)
        return metrics

    def _actor_tensors(self) -> List[List[tf.Tensor]]:
        # Read after the round's updates: automatic control dependencies order them after the writes.
        if self.ensemble is not None:
            return self.ensemble.actor_tensors()  # N * K weight lists, agent-major
        return [[tf.identity(v) for v in _net_vars(a.actor)] for a in self.agents]

    # -------------------------------------------------------------- evaluation helpers
    def actor_params(self, obs_n, target: bool = False) -> List[tf.Tensor]:
        nets = [a.target_actor if target else a.actor for a in self.agents]
        return [net(tf.convert_to_tensor(o, tf.float32)) for net, o in zip(nets, obs_n)]

    def q_values(self, obs_n, act_n, target: bool = False) -> List[tf.Tensor]:
        obs_n = [tf.convert_to_tensor(o, tf.float32) for o in obs_n]
        act_n = [tf.convert_to_tensor(a, tf.float32) for a in act_n]
        out = []
        for i, a in enumerate(self.agents):
            net = a.target_critic if target else a.critic
            out.append(q_value(net, critic_input(i, obs_n, act_n, a.local_q)))
        return out

    def actor_weights(self) -> List[List[np.ndarray]]:
        """Numpy copies of every actor's [W0, b0, W1, b1, W2, b2] (for the acting policy).

        Read in one compiled call: reading variables one by one costs an eager op each, and this
        runs after every update round."""
        if self._read_actors is None:
            self._read_actors = tf.function(self._actor_tensors, autograph=False).get_concrete_function()
        return [[t.numpy() for t in ts] for ts in self._read_actors()]
