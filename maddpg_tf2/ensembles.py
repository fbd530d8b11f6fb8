"""Policy ensembles (Lowe et al. 2017, section 4.3): K sub-policies per agent.

At the start of every episode (in every world, with --num-envs) each agent draws one of its K
sub-policies uniformly at random and acts with it for the whole episode. Agent i maximises the
ensemble objective J_e(mu_i) = E_{k ~ unif(1, K), s ~ p^mu, a ~ mu_i^(k)} [R_i(s, a)], and sub-policy
k of agent i follows the gradient
    (1/K) E_{x, a ~ D_i^(k)} [ grad mu_i^(k)(o_i) grad_{a_i} Q_i(x, a_1, ..., a_N) |_{a_i = mu_i^(k)(o_i)} ]
from its own replay partition D_i^(k) against the agent's one centralised critic Q_i.

Choices the paper leaves open (the guide's page "The paper's extensions", docs/extensions.md, lists
them too):
- Partitions. Every stored transition carries the sub-policy index of every agent in its episode
  (Replay's `tags`, [N] per row), so D_i^(k) = the transitions in which agent i acted with k. With
  N agents drawing on their own, one transition lies in N partitions, one per agent: one buffer with
  tags holds the paper's N * K buffers at the memory of one.
- The critic. Q_i is one network per agent (the paper's gradient uses Q_i, not Q_i^(k)). It learns
  from all of agent i's transitions (the union of its partitions, a uniform batch as without
  ensembles), one step per round as without ensembles; its target action for every agent j (itself
  included) comes from j's target sub-policy that acted in that transition's episode, so the target
  values the joint policy that was actually running there: Q_i estimates the ensemble's value, the
  mixture over the draws.
- Actor steps. Each round, after agent i's critic step, each sub-policy k takes one step on its own
  batch of batch_size transitions drawn uniformly from D_i^(k) (the others' actions as replayed, its
  own a fresh sample), then its target moves by tau. The 1/K factor is left out: Adam is invariant to
  a constant scale of the gradient and the per-variable clipping would otherwise bite differently at
  K = 1 and K > 1, so each sub-policy's step is exactly a single policy's step.
- Updates start once every partition holds a transition (as well as the usual learning_starts).
- Initialisation: sub-policy 0 is the agent's usual actor (same weights as at K = 1 for a seed);
  sub-policies 1..K-1 are initialised after all agents, from the same seeded stream.
- Warm-up episodes (random actions) are still tagged with their draw.
- Evaluation (--benchmark, --display, maddpg_tf2.load) draws per episode as in training, or uses one
  fixed sub-policy for every agent (--ensemble-member k).
K = 1 runs none of this: the plain learner, policy and sampler, bit for bit.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.kernel import (METRIC_NAMES, Adam, actor_step, columns, copy_weights, critic_step, net_vars,
                               polyak_update)
from maddpg_tf2.networks import MLP, mlp_forward_np
from maddpg_tf2.policy import Policy


# ----------------------------------------------------------------------------- networks and update

class SubPolicy(tf.Module):
    """One sub-policy of an agent: actor, target actor and the actor's Adam."""

    def __init__(self, actor, target_actor, actor_opt, name: str):
        super().__init__(name=name)
        self.actor, self.target_actor, self.actor_opt = actor, target_actor, actor_opt


def select_rows(params_k: Sequence, k_index):
    """Row b of params_k[k_index[b]]: [K] x [B, P] and [B] int -> [B, P]."""
    return tf.gather(tf.stack(list(params_k), axis=1), k_index, batch_dims=1)


class Ensembles(tf.Module):
    """K sub-policies for every agent of a learner, and the ensemble update of one agent."""

    def __init__(self, learner, size: int, actor_lr: float, target_init: str, make_net: Callable):
        super().__init__(name="ensembles")
        self.size = int(size)
        self.members: List[List[SubPolicy]] = []
        for i, a in enumerate(learner.agents):
            row = [SubPolicy(a.actor, a.target_actor, a.actor_opt, name=f"agent_{i}_sub_0")]
            for k in range(1, self.size):
                actor = make_net(a.obs_dim, a.dist.param_size, "p_func")
                target = make_net(a.obs_dim, a.dist.param_size, "target_p_func")
                if target_init == "copy":
                    copy_weights(actor, target)
                row.append(SubPolicy(actor, target, Adam(net_vars(actor), actor_lr, name="actor_adam"),
                                     name=f"agent_{i}_sub_{k}"))
            self.members.append(row)

    def trackables(self) -> Dict[str, tf.Module]:
        """Sub-policies 1..K-1 (0 is checkpointed with its agent, as at K = 1)."""
        return {m.name: m for row in self.members for m in row[1:]}

    def actor_tensors(self) -> List[List[tf.Tensor]]:
        """Every sub-policy's actor weights, agent-major: [(0, 0), (0, 1), ..., (N-1, K-1)]."""
        return [[tf.identity(v) for v in net_vars(m.actor)] for row in self.members for m in row]

    def behaviour_params(self, j: int, obs_j, batch_i: dict):
        """The parameters of agent j's sub-policy that acted in each row of batch_i."""
        tag = tf.cast(batch_i["tag"][:, j], tf.int32)
        return select_rows([m.actor(obs_j) for m in self.members[j]], tag)

    def update_agent(self, i: int, agents: Sequence, batch_i: dict, hp, next_seed: Callable,
                     temperature=None, next_act_n: Optional[list] = None) -> Dict[str, tf.Tensor]:
        """Agent i's ensemble update: critic step on its whole replay batch (targets from the target
        sub-policies that acted), then one step of every sub-policy on its own partition's batch."""
        me = agents[i]
        obs_n, act_n, next_obs_n = batch_i["obs_n"], batch_i["act_n"], batch_i["next_obs_n"]
        rew = batch_i["rew"]
        tag = tf.cast(batch_i["tag"], tf.int32)  # [B, N]

        next_act_n = list(next_act_n) if next_act_n is not None else [None] * len(agents)
        for j, a in enumerate(agents):
            if next_act_n[j] is None:
                params = select_rows([m.target_actor(next_obs_n[j]) for m in self.members[j]], tag[:, j])
                next_act_n[j] = a.dist.sample(params, next_seed(), temperature)
        q_loss, y, next_q, _ = critic_step(i, agents, batch_i, next_act_n, hp)
        critic_vars = net_vars(me.critic)

        metrics = {}
        obs_dims = [int(o.shape[-1]) for o in obs_n]
        act_dims = [int(x.shape[-1]) for x in act_n]
        for k, m in enumerate(self.members[i]):
            sub_obs, sub_act = batch_i["sub_obs"][k], batch_i["sub_act"][k]  # [B, sum d], [B, sum k]
            sub_obs_n, sub_act_n = columns(sub_obs, obs_dims), columns(sub_act, act_dims)
            p_loss = actor_step(i, me, m, sub_obs_n, sub_act_n, None if me.local_q else sub_obs, hp, next_seed,
                                temperature)
            metrics[f"ensemble/loss_actor_{i}_{k}"] = p_loss
        polyak_update(critic_vars, net_vars(me.target_critic), hp.tau)
        mean_p_loss = tf.add_n([metrics[f"ensemble/loss_actor_{i}_{k}"] for k in range(self.size)]) / self.size
        values = (q_loss, mean_p_loss, tf.reduce_mean(y), tf.reduce_mean(rew), tf.reduce_mean(next_q),
                  tf.math.reduce_std(y))
        metrics.update({f"{name}_{i}": v for name, v in zip(METRIC_NAMES, values)})
        return metrics


def make_ensembles(learner, config, make_net: Optional[Callable], init_rng: np.random.Generator):
    """The learner's Ensembles, or None at ensemble_size 1."""
    if config.ensemble_size <= 1:
        return None
    make_net = make_net or (lambda i, o, name: MLP(i, o, config.num_units, init_rng, name=name))
    return Ensembles(learner, config.ensemble_size, config.actor_learning_rate, config.target_init, make_net)


# ----------------------------------------------------------------------------- replay partitions

class PartitionSampler:
    """Batches for the ensemble update: per agent i a uniform batch of all transitions (its critic)
    with every agent's sub-policy tags, and per sub-policy k a batch from D_i^(k) (its actor).

    Partition batches come from one pool of 1.5 * K * batch_size uniform draws per agent, split by that
    agent's tags (a uniform draw restricted to D_i^(k) is uniform over D_i^(k)), topped up from an
    exact enumeration of the partition in the rare case that the pool falls short."""

    def __init__(self, replay, size: int):
        self.replay, self.size = replay, int(size)
        self._ready = False

    def ready(self) -> bool:
        """Every partition D_i^(k) holds at least one transition."""
        if not self._ready:
            tags, ok = self._stored_tags()
            self._ready = all(np.any(tags[:, i] == k) for i in range(self.replay.n) for k in range(self.size))
        return self._ready

    def _stored_tags(self):
        env, row = self.replay.transition_index()
        return self.replay.tags_at(env, row), (env, row)

    def _partition_index(self, i: int, size: int, rng: np.random.Generator):
        """(env, row) [K, size]: for every k, size transitions drawn uniformly from D_i^(k)."""
        r, K = self.replay, self.size
        env, row = r.sample_index((size * K * 3 // 2,), rng)  # one pool per agent, split by its tags
        tag = r.tags_at(env, row)[:, i]
        out_env, out_row = np.empty((K, size), np.int64), np.empty((K, size), np.int64)
        for k in range(K):
            hit = np.flatnonzero(tag == k)[:size]
            e, w = env[hit], row[hit]
            if len(e) < size:  # rare: enumerate the partition and draw the rest from it exactly
                tags, (all_env, all_row) = self._stored_tags()
                members = np.flatnonzero(tags[:, i] == k)
                pick = members[rng.integers(0, len(members), size - len(e))]
                e, w = np.concatenate([e, all_env[pick]]), np.concatenate([w, all_row[pick]])
            out_env[k], out_row[k] = e, w
        return out_env, out_row

    def sample(self, batch_size: int, rng: np.random.Generator):
        """Replay.sample's batch plus `sub_obs` [N, K, B, sum d] and `sub_act` [N, K, B, sum k];
        None until every partition holds a transition."""
        if not self.ready():
            return None
        batch = self.replay.sample(batch_size, rng)
        idx = [self._partition_index(i, batch_size, rng) for i in range(self.replay.n)]
        batch["sub_obs"], batch["sub_act"] = self.replay.obs_act_at(np.stack([e for e, _ in idx]),
                                                                    np.stack([r for _, r in idx]))  # [N, K, B, .]
        return batch


def make_sampler(config, replay) -> Callable:
    """The loop's batch source: Replay.sample itself at K = 1, else the partition sampler's."""
    if config.ensemble_size <= 1:
        return replay.sample
    return PartitionSampler(replay, config.ensemble_size).sample


# ----------------------------------------------------------------------------- acting

class EnsemblePolicy(Policy):
    """Acting with one drawn sub-policy per agent and world (see module docstring).

    weights_nk: per agent the K sub-policies' weights. `draw` [E, N] holds the sub-policy of every
    agent in every world; `new_episodes(ended, rng)` redraws it for the worlds whose episode starts.
    With `member` set every agent acts with sub-policy `member` and nothing is drawn."""

    def __init__(self, dists, weights_nk, member: Optional[int] = None):
        self.dists = list(dists)
        self.size = len(weights_nk[0])
        self._set_weights(weights_nk)
        self.member = member
        self.draw: Optional[np.ndarray] = None

    def _set_weights(self, weights_nk):
        self.weights_nk = [[self._as_f32(w) for w in row] for row in weights_nk]
        self.weights_n = [row[0] for row in self.weights_nk]

    @classmethod
    def from_learner(cls, learner, member: Optional[int] = None) -> "EnsemblePolicy":
        return cls(learner.dists, _by_agent(learner.actor_weights(), learner.n), member)

    def refresh(self, learner) -> None:
        self._set_weights(_by_agent(learner.actor_weights(), learner.n))

    def refresh_after_step(self, learner) -> None:
        self._set_weights(_by_agent([[np.asarray(t, np.float32) for t in ts] for ts in learner.last_actor_weights],
                                    learner.n))

    def new_episodes(self, ended: np.ndarray, rng: np.random.Generator) -> None:
        ended = np.asarray(ended, bool)
        if self.draw is None or len(self.draw) != len(ended):
            self.draw = np.zeros((len(ended), self.n), np.int64)
            ended = np.ones(len(ended), bool)
        if self.member is not None:
            self.draw[ended] = self.member
        else:
            self.draw[ended] = rng.integers(0, self.size, (int(ended.sum()), self.n))

    @property
    def tags(self) -> Optional[np.ndarray]:
        return None if self.draw is None else self.draw.copy()

    def logits(self, obs_n):
        E = len(obs_n[0])
        draw = self.draw
        if draw is None or len(draw) != E:
            if self.member is None:
                raise ValueError("no sub-policies drawn for these worlds: call new_episodes first")
            draw = np.full((E, self.n), self.member, np.int64)
        rows = np.arange(E)
        out = []
        for i, (row, o) in enumerate(zip(self.weights_nk, obs_n)):
            o = np.asarray(o, dtype=np.float32)
            out.append(np.stack([mlp_forward_np(w, o) for w in row])[draw[:, i], rows])
        return out


def _by_agent(flat, n: int):
    """Agent-major flat list of N * K weight lists -> per agent the list of K."""
    K = len(flat) // n
    return [list(flat[i * K:(i + 1) * K]) for i in range(n)]

