"""The MADDPG kernel: the mathematics every update rule shares.

Per agent an actor, a critic, their targets and two Adam optimizers (`AgentNets`); the losses of
the original (`critic_loss`, `actor_loss`) and its critic target (`critic_target`); one agent's
critic step and actor step (`critic_step`, `actor_step`); TF1's Adam (`Adam`), the per-variable
gradient clip (`clip_per_variable`), the polyak update of targets (`polyak_update`) and MAAL's
normalised gradient step on actions (`normalised_gradient_step`); and the
slicing of a replay batch into one agent's batch (`batch_for_agent`, `agent_batch_from_joint`,
`columns`).

The update rules compose these: `maddpg_tf2.sequential` (the original's order), and the paper's
extensions `maddpg_tf2.ensembles` and `maddpg_tf2.inference`; `maddpg_tf2.simultaneous` computes
the same mathematics stacked over agents and reads the per-agent state through `net_vars` and
`AgentNets`. `maddpg_tf2.learner.Learner` picks a rule from the config. This module imports
neither the learner, the loop nor Ray.

Batches. One agent's batch (`batch_i`) is a dict with `obs_n`, `act_n`, `next_obs_n` (lists over
agents j of [B, d_j] / [B, k_j] tensors), `rew` and `done` ([B], agent i's own), and optionally
the joint `obs` / `next_obs` [B, sum of d_j] (a centralised critic's input then starts from those
instead of concatenating N pieces).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.networks import MLP

METRIC_NAMES = ("loss/critic", "loss/actor", "q/target_mean", "reward/mean", "q/next_target_mean",
                "q/target_std")
"""The six numbers the original's `update` returns per agent, in its order; every update rule
reports them as `f"{name}_{i}"`."""


# ----------------------------------------------------------------------------- losses

def critic_target(rew, done, next_q, gamma):
    """The critic's target y = r + gamma * (1 - done) * Q'(s', a').

    Time-limit ends are stored with done = 0 and bootstrap, as in the original.

    Args:
        rew: Rewards, any shape.
        done: 1.0 where the episode ended for the agent, same shape.
        next_q: Q'(s', a') of the target critic, same shape.
        gamma: Discount factor.

    Returns:
        y, the shape of `rew`.
    """
    return rew + gamma * (1.0 - done) * next_q


def critic_loss(q, target):
    """Mean squared error of Q against the target (held constant).

    Args:
        q: Critic values [B].
        target: Targets y [B]; no gradient flows into them.

    Returns:
        A scalar.
    """
    return tf.reduce_mean(tf.square(q - tf.stop_gradient(target)))


def actor_loss(q, params, regulariser):
    """The original's actor loss: -mean Q(s, a_i = a fresh sample) + regulariser * mean(params^2).

    Args:
        q: Q of the centralised (or local) critic at the fresh own action [B].
        params: The actor's raw output (the distribution's parameters) [B, P].
        regulariser: Weight of the squared-parameter penalty (the original's 1e-3).

    Returns:
        A scalar.
    """
    return -tf.reduce_mean(q) + regulariser * tf.reduce_mean(tf.square(params))


def standardise(x, axis=0, eps=1e-8):
    """x standardised along `axis` (the batch; 1 for stacked agents' [G, B] rewards).

    Args:
        x: A tensor.
        axis: The axis to standardise along.
        eps: Added to the standard deviation.

    Returns:
        (x - mean) / (std + eps), the shape of x.
    """
    mean, var = tf.nn.moments(x, axes=[axis], keepdims=True)
    return (x - mean) / (tf.sqrt(var) + eps)


# ----------------------------------------------------------------------------- gradient steps

def clip_per_variable(grads, clip_norm):
    """Each gradient clipped to norm `clip_norm` on its own (the original's choice, not the global norm).

    g * clip / max(||g||, clip), with the norms of all variables computed in one stacked op.

    Args:
        grads: Gradients, one per variable; None entries stay None.
        clip_norm: The norm bound, or None for no clipping.

    Returns:
        The list of clipped gradients.
    """
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
    """target <- (1 - tau) * target + tau * online, pairwise, computed as target -= tau * (target - online).

    Args:
        online_vars: The online network's variables.
        target_vars: The target network's variables, in the same order.
        tau: The step towards the online weights (the original's 0.01).
    """
    tau = tf.constant(tau, tf.float32)
    for v, t in zip(online_vars, target_vars):
        tf.raw_ops.ResourceApplyGradientDescent(var=t.handle, alpha=tau, delta=t - v)


class Adam(tf.Module):
    """Adam as TF1's AdamOptimizer computes it.

    The beta powers are state (starting at beta, the value the first step uses) and eps is added to
    sqrt(v) without bias correction. Own slots keep the mapping to the original's checkpoint names
    (`Adam`, `Adam_1`, `beta1_power`, `beta2_power`) one to one and the update XLA-compilable.

    Args:
        variables: The variables this optimizer updates (its slots are made for them, in order).
        lr: Learning rate.
        beta1: Decay of the first moment.
        beta2: Decay of the second moment.
        eps: Added to sqrt(v).
        name: The module's name.

    Attributes:
        m: First-moment slots, one per variable.
        v: Second-moment slots, one per variable.
        beta1_power: beta1 ** (steps + 1).
        beta2_power: beta2 ** (steps + 1).
    """

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
        """One Adam step of `variables` (those given at construction, same order) along `grads`.

        Args:
            grads: One gradient per variable; a None gradient leaves its variable as it is.
            variables: The variables to update.
        """
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


# ----------------------------------------------------------------------------- one agent's networks

def net_vars(net) -> List[tf.Variable]:
    """A network's variables in a fixed order.

    Args:
        net: A networks.MLP (its own order: [W0, b0, W1, b1, W2, b2]), or a Keras model / tf.Module
            (its trainable variables' order).

    Returns:
        The list of variables.
    """
    if hasattr(net, "variables_in_order"):
        return net.variables_in_order
    return list(net.trainable_variables)


def copy_weights(source, target) -> None:
    """Assign `source`'s weights to `target` (a target network started as a copy: `--target-init copy`).

    Args:
        source: A network.
        target: A network of the same shapes.
    """
    for v, t in zip(net_vars(source), net_vars(target)):
        t.assign(v)


class AgentNets(tf.Module):
    """One agent's actor (`p_func`), critic (`q_func`), their targets and their Adam optimizers.

    Args:
        index: The agent's index i (names the module `agent_i`).
        dist: The agent's action distribution (maddpg_tf2.distributions); the actor outputs its parameters.
        obs_dim: d_i, the agent's observation size.
        critic_in_dim: The critic's input size (d_i + k_i for a local critic, sum of all d and k otherwise).
        num_units: Hidden units of the default MLP.
        actor_lr: The actor's Adam learning rate.
        critic_lr: The critic's Adam learning rate.
        local_q: True for a ddpg agent (critic on its own observation and action).
        target_init: "independent" (the original: targets initialised on their own) or "copy".
        rng: The generator the default MLPs draw their initial weights from.
        make_net: `make_net(in_dim, out_dim, name)` building each of the four networks; None: MLP.

    Raises:
        ValueError: For an unknown `target_init`.
    """

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
                copy_weights(src, dst)
        elif target_init != "independent":
            raise ValueError(f"target_init must be 'independent' or 'copy', got {target_init!r}")
        self.actor_opt = Adam(net_vars(self.actor), actor_lr, name="actor_adam")
        self.critic_opt = Adam(net_vars(self.critic), critic_lr, name="critic_adam")


def q_value(critic, x):
    """The critic's [B, 1] output as [B] (a reshape: no copy, unlike slicing column 0).

    Args:
        critic: A critic network.
        x: Its input [B, critic_in_dim].

    Returns:
        Q [B].
    """
    return tf.reshape(critic(x), [-1])


def critic_input(i, obs_n, act_n, local_q, obs_all=None):
    """The input of agent i's critic.

    A ddpg critic sees agent i's observation and action; a maddpg critic every observation and action.

    Args:
        i: The agent.
        obs_n: Observations per agent [B, d_j].
        act_n: Actions per agent [B, k_j].
        local_q: True for a ddpg (local) critic.
        obs_all: The joint observation [B, sum d] when already at hand (one piece instead of N).

    Returns:
        [B, critic_in_dim].
    """
    if local_q:
        return tf.concat([obs_n[i], act_n[i]], axis=-1)
    obs = list(obs_n) if obs_all is None else [obs_all]
    return tf.concat(obs + list(act_n), axis=-1)


def normalised_gradient_step(loss_fn, act_n, rates):
    """Actions after one step up `loss_fn`'s gradient, l2-normalised per sample (MAAL's step).

    M3DDPG's worst case (`maddpg_tf2.m3ddpg`, loss = -mean Q_i) and the perturbed opponents of a
    robustness test (`maddpg_tf2.perturb`, loss = -sum of the evaluated team's Q) both take it.

    Args:
        loss_fn: `loss_fn(act_n)`, a scalar differentiable in the actions.
        act_n: Actions per agent [B, k_j].
        rates: The step eps_j per agent; None leaves agent j's action as it is.

    Returns:
        [B, k_j] per agent: a_j + eps_j * l2_normalize(d loss / d a_j, axis=1), held constant (no
        gradient flows through the step); a_j itself where eps_j is None.
    """
    acts = [tf.convert_to_tensor(a) for a in act_n]
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(acts)
        loss = loss_fn(acts)
    grads = tape.gradient(loss, acts, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return [a if r is None else a + r * tf.stop_gradient(tf.math.l2_normalize(g, axis=1))
            for a, g, r in zip(acts, grads, rates)]


@dataclass
class UpdateSettings:
    """The hyperparameters of one update (defaults: the original's).

    Attributes:
        gamma: Discount factor.
        tau: Polyak step of the targets.
        grad_clip: Per-variable gradient norm bound (None: no clipping).
        policy_regulariser: Weight of the actor's squared-parameter penalty.
        standardise_rewards: Standardise agent i's rewards over the batch before the critic target.
    """
    gamma: float = 0.95
    tau: float = 0.01
    grad_clip: Optional[float] = 0.5
    policy_regulariser: float = 1e-3
    standardise_rewards: bool = False

    @classmethod
    def from_config(cls, c: Config) -> "UpdateSettings":
        """The settings of a run's Config."""
        return cls(c.gamma, c.tau, c.grad_clip, c.policy_regulariser, c.standardise_rewards)


# ----------------------------------------------------------------------------- batch slicing

def joint(batch_i: dict, key: str, parts_key: str):
    """The joint [B, sum of dims] array of a batch: given by the replay, else concatenated.

    Args:
        batch_i: One agent's batch.
        key: The joint key ("obs", "next_obs").
        parts_key: The per-agent key ("obs_n", "next_obs_n").

    Returns:
        [B, sum of dims].
    """
    return batch_i[key] if key in batch_i else tf.concat(list(batch_i[parts_key]), axis=-1)


def columns(x, dims: Sequence[int]) -> List[tf.Tensor]:
    """Per-agent column blocks of a joint [B, sum dims] tensor (plain slices: cheaper than SplitV).

    Args:
        x: [B, sum dims].
        dims: The block widths, one per agent.

    Returns:
        [B, dims[j]] per agent j.
    """
    offsets = np.cumsum([0] + list(dims))
    return [x[:, int(a):int(b)] for a, b in zip(offsets[:-1], offsets[1:])]


def batch_for_agent(batch: dict, i: int) -> dict:
    """Agent i's slice of a replay batch given per agent (`obs_n`, `act_n`, `next_obs_n` lists of
    [N, B, .], `rew` / `done` [N, B, N]; the leading axis N is the agent being updated).

    Args:
        batch: The replay batch.
        i: The agent.

    Returns:
        Agent i's batch (see the module docstring).
    """
    return {
        "obs_n": [x[i] for x in batch["obs_n"]],
        "act_n": [x[i] for x in batch["act_n"]],
        "next_obs_n": [x[i] for x in batch["next_obs_n"]],
        "rew": batch["rew"][i][:, i],
        "done": batch["done"][i][:, i],
    }


def agent_batch_from_joint(obs, act, next_obs, rew, done, obs_dims: Sequence[int], act_dims: Sequence[int]) -> dict:
    """One agent's batch from joint arrays, its per-agent pieces sliced from them.

    Args:
        obs: Joint observations [B, sum obs_dims].
        act: Joint actions [B, sum act_dims].
        next_obs: Joint next observations [B, sum obs_dims].
        rew: The agent's own rewards [B].
        done: The agent's own dones [B].
        obs_dims: d_j per agent.
        act_dims: k_j per agent.

    Returns:
        The agent's batch with the joint `obs` / `next_obs` kept beside the pieces.
    """
    return {"obs": obs, "next_obs": next_obs,
            "obs_n": columns(obs, obs_dims), "act_n": columns(act, act_dims),
            "next_obs_n": columns(next_obs, obs_dims), "rew": rew, "done": done}


# ----------------------------------------------------------------------------- one agent's steps

def critic_step(i: int, agents: Sequence[AgentNets], batch_i: dict, next_act_n, hp: UpdateSettings):
    """Agent i's critic step towards y = r + gamma (1 - done) Q'(s', next_act_n).

    Args:
        i: The agent.
        agents: Every agent's AgentNets.
        batch_i: Agent i's batch.
        next_act_n: The target actions at the next observations, one per agent [B, k_j] (given by
            the caller: the update rule decides whose target policy acts).
        hp: The update's settings.

    Returns:
        (critic loss, y [B], Q' [B], the joint observation the critic's input starts from, or None
        for a local critic).
    """
    me = agents[i]
    rew, done = batch_i["rew"], batch_i["done"]
    rew_used = standardise(rew) if hp.standardise_rewards else rew
    obs_all = next_obs_all = None
    if not me.local_q:
        obs_all, next_obs_all = joint(batch_i, "obs", "obs_n"), joint(batch_i, "next_obs", "next_obs_n")
    next_q = q_value(me.target_critic, critic_input(i, batch_i["next_obs_n"], next_act_n, me.local_q, next_obs_all))
    y = tf.stop_gradient(critic_target(rew_used, done, next_q, hp.gamma))
    x = critic_input(i, batch_i["obs_n"], batch_i["act_n"], me.local_q, obs_all)
    q_loss = fit_critic(me.critic, me.critic_opt, x, y, hp.grad_clip)
    return q_loss, y, next_q, obs_all


def fit_critic(critic, optimizer, x, y, grad_clip):
    """One clipped Adam step of `critic` towards the fixed targets y (the regression half of `critic_step`).

    Update rules with more than one critic (maddpg_tf2.matd3) call it once per critic.

    Args:
        critic: The critic network.
        optimizer: Its `Adam`.
        x: The critic's input [B, critic_in_dim].
        y: Targets [B] (held constant).
        grad_clip: Per-variable gradient norm bound (None: no clipping).

    Returns:
        The critic loss before the step.
    """
    critic_vars = net_vars(critic)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(critic_vars)
        q_loss = critic_loss(q_value(critic, x), y)
    grads = clip_per_variable(tape.gradient(q_loss, critic_vars), grad_clip)
    optimizer.apply(grads, critic_vars)
    return q_loss


def actor_step(i: int, me: AgentNets, policy, obs_n, act_n, obs_all, hp: UpdateSettings, next_seed: Callable,
               temperature=None, perturb: Optional[Callable] = None):
    """Agent i's actor step against its (freshly updated) critic, then the polyak update of the actor's target.

    The agent's own action is replaced by a fresh sample of `policy`, the others' actions come from
    the batch.

    Args:
        i: The agent.
        me: Agent i's AgentNets (its critic and distribution).
        policy: What the step trains: an object with `actor`, `actor_opt`, `target_actor` (the
            agent itself, or one sub-policy of an ensemble).
        obs_n: Observations per agent [B, d_j].
        act_n: Replayed actions per agent [B, k_j].
        obs_all: The joint observation [B, sum d] when at hand, else None.
        hp: The update's settings.
        next_seed: Gives a fresh stateless seed (int32 [2]) per call.
        temperature: The estimator's temperature this round (None: the distribution's own).
        perturb: Optional `perturb(acts) -> acts`, applied (inside the tape) to the actions the critic
            sees after agent i's fresh sample is in place (M3DDPG's worst case of the others).

    Returns:
        The actor loss.
    """
    actor_vars = net_vars(policy.actor)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(actor_vars)
        params = policy.actor(obs_n[i])
        acts = list(act_n)
        acts[i] = me.dist.sample(params, next_seed(), temperature)
        if perturb is not None:
            acts = perturb(acts)
        q_pi = q_value(me.critic, critic_input(i, obs_n, acts, me.local_q, obs_all))
        p_loss = actor_loss(q_pi, params, hp.policy_regulariser)
    grads = clip_per_variable(tape.gradient(p_loss, actor_vars), hp.grad_clip)
    policy.actor_opt.apply(grads, actor_vars)
    polyak_update(actor_vars, net_vars(policy.target_actor), hp.tau)
    return p_loss


def target_actions(agents: Sequence[AgentNets], next_obs_n, next_seed: Callable, temperature=None, given=None):
    """Every agent's target action at its next observation, a sample of its target actor.

    Args:
        agents: Every agent's AgentNets.
        next_obs_n: Next observations per agent [B, d_j].
        next_seed: Gives a fresh stateless seed per sample, drawn in agent order.
        temperature: The estimator's temperature (None: the distribution's own).
        given: Per agent an action already chosen by the caller (used as it is, no seed drawn) or
            None; None for all.

    Returns:
        [B, k_j] per agent.
    """
    given = given if given is not None else [None] * len(agents)
    return [a.dist.sample(a.target_actor(next_obs_n[j]), next_seed(), temperature) if given[j] is None
            else given[j] for j, a in enumerate(agents)]


def update_metrics(i: int, q_loss, p_loss, y, rew, next_q) -> Dict[str, tf.Tensor]:
    """The original's six numbers of agent i's update, named `f"{METRIC_NAMES[k]}_{i}"`.

    Args:
        i: The agent.
        q_loss: Critic loss.
        p_loss: Actor loss.
        y: Critic targets [B].
        rew: Rewards [B] (as replayed, not standardised).
        next_q: Target critic values [B].

    Returns:
        Name -> scalar tensor.
    """
    values = (q_loss, p_loss, tf.reduce_mean(y), tf.reduce_mean(rew), tf.reduce_mean(next_q),
              tf.math.reduce_std(y))
    return {f"{name}_{i}": v for name, v in zip(METRIC_NAMES, values)}
