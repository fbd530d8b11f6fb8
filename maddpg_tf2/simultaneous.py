"""Simultaneous agent updates (`--agent-updates simultaneous`): every agent's critic step, actor step
and target update start from the weights at the start of the round, computed as one batched step.

Per agent the mathematics is the kernel's, as sequential.update_agent composes it (same losses,
each variable's gradient clipped on its own, TF1 Adam, polyak); only the order differs: agent i's
critic target uses every target actor as it was before the round, not the ones of agents < i
already moved. With no chain between agents, agents whose networks have the same shapes are
stacked along a leading agent axis ([G, in, out] kernels, batched matmuls), so a round is a few
large ops instead of ~100 small ones.

The step is a pure function of per-agent state (`AgentState`: weights, targets, Adam slots and
beta powers as tensors) and the joint batch, for any subset of agents, so that a caller which
broadcasts weights (coded distributed training) can compute the update of the agents it owns:

    new_state, metrics = simultaneous_update(specs, state_n, batch, subset, hp, seeds)

The per-agent variables stay the storage (checkpoints, the acting policy and the sequential mode
see the usual layout); `Learner` reads them, calls this function and writes the results back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import tensorflow as tf

from maddpg_tf2.distributions import SoftCategorical, open_unit_uniform
from maddpg_tf2.kernel import METRIC_NAMES, UpdateSettings, critic_target, net_vars, standardise
from maddpg_tf2.networks import MLP

NETS = ("actor", "critic", "target_actor", "target_critic")
SLOTS = ("actor_m", "actor_v", "critic_m", "critic_v")
POWERS = ("actor_beta1_power", "actor_beta2_power", "critic_beta1_power", "critic_beta2_power")
STATE_KEYS = NETS + SLOTS + POWERS
"""AgentState: a dict with these keys; NETS and SLOTS map to lists [W0, b0, W1, b1, W2, b2] of
tensors, POWERS to scalars (TF1 Adam's beta powers)."""
AgentState = Dict[str, object]


@dataclass(frozen=True)
class AgentSpec:
    """What the update needs to know of agent i besides its state."""
    dist: object
    obs_dim: int
    act_dim: int
    critic_in_dim: int
    local_q: bool
    actor_adam: Tuple[float, float, float, float]   # lr, beta1, beta2, eps
    critic_adam: Tuple[float, float, float, float]

    def actor_key(self):
        """Agents with equal keys have actors of the same shapes (stacked into one batched forward)."""
        return (self.obs_dim, self.dist.param_size)

    def group_key(self):
        """Agents with equal keys are updated as one stack."""
        return (self.actor_key(), self.act_dim, self.critic_in_dim, self.local_q, self.actor_adam,
                self.critic_adam)


def agent_specs(agents) -> List[AgentSpec]:
    """AgentSpec per kernel.AgentNets (the built-in MLPs: the stacked forward pass is theirs)."""
    for a in agents:
        if not all(isinstance(net, MLP) for net in (a.actor, a.critic, a.target_actor, a.target_critic)):
            raise ValueError("simultaneous agent updates need the built-in MLP networks; a custom model "
                             "trains with agent_updates='sequential'")
    adam = lambda o: (o.lr, o.beta1, o.beta2, o.eps)
    return [AgentSpec(a.dist, a.obs_dim, a.dist.action_size, a.critic_in_dim, a.local_q,
                      adam(a.actor_opt), adam(a.critic_opt)) for a in agents]


def agent_variables(agent) -> Dict[str, object]:
    """The variables of one kernel.AgentNets in the AgentState layout."""
    return {"actor": net_vars(agent.actor), "critic": net_vars(agent.critic),
            "target_actor": net_vars(agent.target_actor), "target_critic": net_vars(agent.target_critic),
            "actor_m": agent.actor_opt.m, "actor_v": agent.actor_opt.v,
            "critic_m": agent.critic_opt.m, "critic_v": agent.critic_opt.v,
            "actor_beta1_power": agent.actor_opt.beta1_power, "actor_beta2_power": agent.actor_opt.beta2_power,
            "critic_beta1_power": agent.critic_opt.beta1_power,
            "critic_beta2_power": agent.critic_opt.beta2_power}


def read_state(agents) -> List[AgentState]:
    """Every agent's state as tensors (inside a tf.function: reads ordered before later writes)."""
    return [tf.nest.map_structure(tf.convert_to_tensor, agent_variables(a)) for a in agents]


def write_state(agents, new_state: Dict[int, AgentState]) -> None:
    """Assign the updated state of the agents in new_state (index -> AgentState)."""
    for i, state in new_state.items():
        for var, value in zip(tf.nest.flatten(agent_variables(agents[i])), tf.nest.flatten(state)):
            var.assign(value)


def state_to_numpy(state: AgentState) -> AgentState:
    return tf.nest.map_structure(lambda t: np.asarray(t), state)


# ----------------------------------------------------------------------------- stacked maths

def _mlp(weights, x):
    """weights [W0 [G, i, h], b0 [G, h], ...]; x [G, B, i] -> [G, B, out]."""
    last = len(weights) // 2 - 1
    if weights[0].shape[0] == 1:
        # One agent: plain matmuls, which TensorFlow fuses with the bias and relu.
        x = x[0]
        for k in range(0, len(weights), 2):
            x = tf.matmul(x, weights[k][0]) + weights[k + 1][0]
            if k // 2 < last:
                x = tf.nn.relu(x)
        return x[None]
    for k in range(0, len(weights), 2):
        x = tf.matmul(x, weights[k]) + weights[k + 1][:, None, :]
        if k // 2 < last:
            x = tf.nn.relu(x)
    return x


def _stack(states: Sequence[AgentState], key: str):
    return [tf.stack(parts) for parts in zip(*[s[key] for s in states])]


def _clip(grads, clip_norm):
    """Each agent's gradient of each variable clipped to clip_norm on its own (leading axis = agent)."""
    if clip_norm is None:
        return grads
    out = []
    for g in grads:
        norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=list(range(1, g.shape.rank))))  # [G]
        scale = clip_norm / tf.maximum(norm, clip_norm)
        out.append(g * tf.reshape(scale, [-1] + [1] * (g.shape.rank - 1)))
    return out


def _adam(params, grads, m, v, beta1_power, beta2_power, hyper):
    """TF1 AdamOptimizer's step (ResourceApplyAdam's formula) per agent; powers [G]."""
    lr, beta1, beta2, eps = hyper
    lr_t = lr * tf.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)  # [G]
    new_p, new_m, new_v = [], [], []
    for p, g, m_, v_ in zip(params, grads, m, v):
        shape = [-1] + [1] * (p.shape.rank - 1)
        m_ = m_ + (g - m_) * (1.0 - beta1)
        v_ = v_ + (tf.square(g) - v_) * (1.0 - beta2)
        new_p.append(p - (m_ * tf.reshape(lr_t, shape)) / (tf.sqrt(v_) + eps))
        new_m.append(m_)
        new_v.append(v_)
    return new_p, new_m, new_v, beta1_power * beta1, beta2_power * beta2


def _adam_step(states: Sequence[AgentState], net: str, params, grads, hyper):
    """_adam on the stacked `net` ('actor' or 'critic') of a group, with its slots and powers."""
    powers = [tf.stack([s[f"{net}_beta{k}_power"] for s in states]) for k in (1, 2)]
    return _adam(params, grads, _stack(states, f"{net}_m"), _stack(states, f"{net}_v"), *powers, hyper)


def _polyak(online, target, tau):
    return [t - tau * (t - o) for o, t in zip(online, target)]


def _sample_stacked(dists, params, seeds, temperature):
    """Row k of params [K, B, p] sampled by dists[k] with seeds[k], as dist.sample would; the
    original's soft categorical sample as one stacked softmax (same numbers, fewer ops)."""
    plain = all(type(d) is SoftCategorical and d.estimator is None for d in dists) and \
        len({d.temperature for d in dists}) == 1
    if not plain:
        return tf.stack([d.sample(params[k], s, temperature) for k, (d, s) in enumerate(zip(dists, seeds))])
    t = dists[0].temperature if temperature is None else temperature
    shape = tf.shape(params)[1:]
    u = tf.stack([open_unit_uniform(shape, params.dtype, s) for s in seeds])
    return tf.nn.softmax((params - tf.math.log(-tf.math.log(u))) / t, axis=-1)


def _columns(dims):
    offsets = np.cumsum([0] + list(dims))
    return [(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:])]


def _groups(keys: Sequence, members: Sequence[int], stack: bool = True) -> List[List[int]]:
    """members split by equal key, in order of first appearance (stack=False: one group each)."""
    if not stack:
        return [[i] for i in members]
    out: Dict[object, List[int]] = {}
    for i in members:
        out.setdefault(keys[i], []).append(i)
    return list(out.values())


def simultaneous_update(specs: Sequence[AgentSpec], state_n: Sequence[AgentState], batch: dict,
                        subset: Sequence[int], hp: UpdateSettings, seeds, temperature=None, stack: bool = True
                        ) -> Tuple[Dict[int, AgentState], Dict[str, tf.Tensor]]:
    """The simultaneous update of the agents in `subset`, all from the pre-round `state_n`.

    Args:
        specs: AgentSpec per agent (all N).
        state_n: AgentState per agent (all N: every target actor enters the critic targets).
        batch: The joint arrays as Replay gives them, indexed by the agent being updated: obs /
            next_obs [N, B, sum obs dims], act [N, B, sum act dims], rew / done [N, B, N] (only the
            rows of `subset` are read; or M = len(subset) rows, those of the subset in its order).
        subset: The agents to update.
        hp: The update's settings (kernel.UpdateSettings).
        seeds: int32 [N, N + 1, 2]: seeds[i, j] for agent j's target action in agent i's critic
            target, seeds[i, N] for agent i's fresh action in its actor step (the order in which
            sequential.update_agent draws them, so both modes can be compared exactly; an agent's
            noise does not depend on which other agents are in `subset`).
        temperature: The estimator's temperature this round (None: the distributions' own).
        stack: Agents of the same shapes as one stack of batched ops (True), or every agent as its
            own chain of plain ops, the chains independent of each other (False); same numbers
            either way.

    Returns:
        ({i: updated AgentState}, metrics named as sequential.update_agent's).
    """
    n = len(specs)
    subset = [int(i) for i in subset]
    pos = {i: k for k, i in enumerate(subset)}
    obs_cols = _columns([s.obs_dim for s in specs])
    act_cols = _columns([s.act_dim for s in specs])

    def rows(key):
        """The subset's rows of batch[key], given for all N agents or for the subset only."""
        x = tf.convert_to_tensor(batch[key])
        if x.shape[0] == n:
            return x if subset == list(range(n)) else tf.gather(x, subset)
        if x.shape[0] == len(subset):
            return x
        raise ValueError(f"batch['{key}'] has {x.shape[0]} rows: expected one per agent ({n}) or per "
                         f"agent of the subset ({len(subset)})")

    obs, act, next_obs, rew, done = (rows(k) for k in ("obs", "act", "next_obs", "rew", "done"))  # rew [M, B, N]
    m, b = len(subset), tf.shape(obs)[1]

    # Target actions a'_j on every updated agent's next observations, each target actor group as one
    # stack: next_act[j] [M, B, act_j], row m drawn with seeds[subset[m], j].
    next_act = {}
    actor_keys = [s.actor_key() for s in specs]
    for group in _groups(actor_keys, range(n), stack):
        d, h = specs[group[0]].obs_dim, len(group)
        x = tf.stack([next_obs[:, :, obs_cols[j][0]:obs_cols[j][1]] for j in group])  # [H, M, B, d]
        out = _mlp(_stack([state_n[j] for j in group], "target_actor"), tf.reshape(x, [h, -1, d]))
        out = tf.reshape(out, [h * m, b, -1])
        acts = _sample_stacked([specs[j].dist for j in group for _ in subset], out,
                               [seeds[i, j] for j in group for i in subset], temperature)
        acts = tf.reshape(acts, [h, m, b, -1])
        for k, j in enumerate(group):
            next_act[j] = acts[k]

    new_state: Dict[int, AgentState] = {}
    metrics: Dict[str, tf.Tensor] = {}
    group_keys = [s.group_key() for s in specs]
    for group in _groups(group_keys, subset, stack):
        spec = specs[group[0]]
        idx = [pos[i] for i in group]
        states = [state_n[i] for i in group]
        g_obs, g_act, g_next_obs = (tf.gather(x, idx) if len(idx) != m else x for x in (obs, act, next_obs))
        rew_g = tf.stack([rew[pos[i], :, i] for i in group])    # [G, B]
        done_g = tf.stack([done[pos[i], :, i] for i in group])
        rew_used = standardise(rew_g, axis=1) if hp.standardise_rewards else rew_g

        def critic_in(obs_part, act_parts):
            """[G, B, critic_in] from the group's observations and per-agent actions [G, B, a]."""
            if spec.local_q:
                own = tf.stack([obs_part[k, :, obs_cols[i][0]:obs_cols[i][1]] for k, i in enumerate(group)])
                return tf.concat([own, act_parts], axis=-1)
            return tf.concat([obs_part] + list(act_parts), axis=-1)

        if spec.local_q:
            next_a = tf.stack([next_act[i][pos[i]] for i in group])
        else:
            next_a = [next_act[j] if len(idx) == m else tf.gather(next_act[j], idx) for j in range(n)]
        next_q = tf.squeeze(_mlp(_stack(states, "target_critic"), critic_in(g_next_obs, next_a)), -1)
        y = tf.stop_gradient(critic_target(rew_used, done_g, next_q, hp.gamma))  # [G, B]

        # Critic step.
        critic = _stack(states, "critic")
        if spec.local_q:
            acts = tf.stack([g_act[k, :, act_cols[i][0]:act_cols[i][1]] for k, i in enumerate(group)])
            q_in = critic_in(g_obs, acts)
        else:
            q_in = critic_in(g_obs, [g_act])
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(critic)
            q = tf.squeeze(_mlp(critic, q_in), -1)
            q_loss_g = tf.reduce_mean(tf.square(q - y), axis=1)  # [G]
            total = tf.reduce_sum(q_loss_g)
        grads = _clip(tape.gradient(total, critic), hp.grad_clip)
        critic_new, cm, cv, cb1, cb2 = _adam_step(states, "critic", critic, grads, spec.critic_adam)

        # Actor step against the freshly updated critic: own action a fresh sample, others' from the batch.
        actor = _stack(states, "actor")
        own_obs = tf.stack([g_obs[k, :, obs_cols[i][0]:obs_cols[i][1]] for k, i in enumerate(group)])
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(actor)
            params = _mlp(actor, own_obs)  # [G, B, params]
            fresh = _sample_stacked([specs[i].dist for i in group], params, [seeds[i, n] for i in group],
                                    temperature)
            if spec.local_q:
                pi_in = critic_in(g_obs, fresh)
            else:
                # Same-shaped agents need not be adjacent: splice per agent.
                pieces = []
                for k, i in enumerate(group):
                    a0, a1 = act_cols[i]
                    pieces.append(tf.concat([g_act[k, :, :a0], fresh[k], g_act[k, :, a1:]], axis=-1))
                pi_in = critic_in(g_obs, [tf.stack(pieces)])
            q_pi = tf.squeeze(_mlp(critic_new, pi_in), -1)
            p_loss_g = -tf.reduce_mean(q_pi, axis=1) + hp.policy_regulariser * tf.reduce_mean(
                tf.square(params), axis=[1, 2])
            total = tf.reduce_sum(p_loss_g)
        grads = _clip(tape.gradient(total, actor), hp.grad_clip)
        actor_new, am, av, ab1, ab2 = _adam_step(states, "actor", actor, grads, spec.actor_adam)

        target_actor = _polyak(actor_new, _stack(states, "target_actor"), hp.tau)
        target_critic = _polyak(critic_new, _stack(states, "target_critic"), hp.tau)
        stacked = {"actor": actor_new, "critic": critic_new, "target_actor": target_actor,
                   "target_critic": target_critic, "actor_m": am, "actor_v": av, "critic_m": cm,
                   "critic_v": cv, "actor_beta1_power": ab1, "actor_beta2_power": ab2,
                   "critic_beta1_power": cb1, "critic_beta2_power": cb2}
        per_agent = {k: (v if k in POWERS else [tf.unstack(t) for t in v]) for k, v in stacked.items()}
        for k, i in enumerate(group):
            new_state[i] = {key: (per_agent[key][k] if key in POWERS else [t[k] for t in per_agent[key]])
                            for key in STATE_KEYS}
        values = (q_loss_g, p_loss_g, tf.reduce_mean(y, axis=1), tf.reduce_mean(rew_g, axis=1),
                  tf.reduce_mean(next_q, axis=1), tf.math.reduce_std(y, axis=1))
        for name, v in zip(METRIC_NAMES, values):
            for k, i in enumerate(group):
                metrics[f"{name}_{i}"] = v[k]
    return new_state, metrics
