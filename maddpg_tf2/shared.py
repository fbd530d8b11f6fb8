"""Parameter sharing (`--parameter-sharing team`): one update per team, the members' batches pooled.

The agents of a team share one AgentNets (actor, critic, targets, optimizers). A round updates the
teams in order of their first agent, as the original updates agents in order: team t's critic
targets see the target actors of earlier teams already moved this round. A team's turn is one
critic step, one actor step and the polyak updates, on the M members' batches stacked into M x B
rows, so every shared network is evaluated once over all rows instead of M times:

- the critic input of member m's rows is the joint observation and action of m's batch followed by
  m's one-hot index within the team (M columns; none for a team of one), so that the shared critic
  knows whose value it estimates (a ddpg critic sees m's own observation, which carries the index);
- critic loss: the mean over all M x B rows of (Q - y)^2, y = r_m + gamma (1 - done_m) Q'(...);
- actor loss: member m's own action replaced by a fresh sample of the shared actor on m's own
  observation, -mean Q + regulariser * mean(params^2) over all rows; one Adam step each.

With one agent per team this is the original's update of that agent (up to the random draws).
This module builds on maddpg_tf2.kernel only.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.kernel import (METRIC_NAMES, AgentNets, UpdateSettings, actor_loss, clip_per_variable,
                               critic_loss, critic_target, net_vars, polyak_update, q_value, standardise)


def critic_extra(team_size: int, local_q: bool) -> int:
    """Columns a shared critic's input has beyond the usual: the member's one-hot index (M >= 2,
    centralised critics; a ddpg critic's own observation already carries it)."""
    return team_size if team_size > 1 and not local_q else 0


def _block_columns(offsets: np.ndarray, members: Sequence[int]) -> np.ndarray:
    """Column indices of the members' blocks of a joint array, member after member."""
    return np.concatenate([np.arange(offsets[j], offsets[j + 1]) for j in members])


class TeamRule:
    """The pooled update of one team, and the target actions every team's update needs.

    Args:
        teams: Every agent's team (a partition of 0..N-1), in update order.
        obs_dims: d_j per agent (the one-hot index included).
        act_dims: k_j per agent.
    """

    def __init__(self, teams: Sequence[Sequence[int]], obs_dims: Sequence[int], act_dims: Sequence[int]):
        self.teams = [list(t) for t in teams]
        self.obs_off = np.cumsum([0] + list(obs_dims))
        self.act_off = np.cumsum([0] + list(act_dims))
        self.obs_dims, self.act_dims = list(obs_dims), list(act_dims)
        # target actions are computed team by team (one forward pass each), then put in agent order
        order = _block_columns(self.act_off, [j for t in self.teams for j in t])
        self.act_order = None if np.array_equal(order, np.arange(len(order))) else np.argsort(order)

    def target_actions(self, agents: Sequence[AgentNets], next_obs, next_seed: Callable, temperature):
        """[M, B, sum k]: every agent's target action at its next observation, in each of the M
        batches of next_obs [M, B, sum d]; each team's shared target actor runs once over all rows."""
        M, B = tf.shape(next_obs)[0], tf.shape(next_obs)[1]
        parts = []
        for team in self.teams:
            net, d = agents[team[0]], self.obs_dims[team[0]]
            cols = _block_columns(self.obs_off, team)
            x = next_obs if len(cols) == next_obs.shape[-1] and np.array_equal(cols, np.arange(len(cols))) \
                else tf.gather(next_obs, cols, axis=2)
            a = net.dist.sample(net.target_actor(tf.reshape(x, [-1, d])), next_seed(), temperature)
            parts.append(tf.reshape(a, [M, B, len(team) * self.act_dims[team[0]]]))
        acts = parts[0] if len(parts) == 1 else tf.concat(parts, axis=2)
        return acts if self.act_order is None else tf.gather(acts, self.act_order, axis=2)

    def update_team(self, t: int, agents: Sequence[AgentNets], batch: dict, hp: UpdateSettings,
                    next_seed: Callable, temperature=None) -> Dict[str, tf.Tensor]:
        """Team t's turn (module docstring) from the joint replay batch (`obs`, `act`, `next_obs`
        [N, B, .], `rew`, `done` [N, B, N], the leading axis the agent whose batch it is).

        Returns:
            The six numbers of kernel.METRIC_NAMES for every member i, named `f"{name}_{i}"`.
        """
        team = self.teams[t]
        me, M, i0 = agents[team[0]], len(team), team[0]
        d, k = self.obs_dims[i0], self.act_dims[i0]
        idx = tf.constant(team, tf.int32)
        take = (lambda x: x) if team == list(range(batch["obs"].shape[0])) else (lambda x: tf.gather(x, idx))
        obs, act, next_obs = take(batch["obs"]), take(batch["act"]), take(batch["next_obs"])  # [M, B, .]
        own = idx[:, None]  # member m's own reward and done in its batch: [M, B]
        rew = tf.gather(take(batch["rew"]), own, axis=2, batch_dims=1)[:, :, 0]
        done = tf.gather(take(batch["done"]), own, axis=2, batch_dims=1)[:, :, 0]
        B = tf.shape(obs)[1]
        own_obs_cols = tf.constant(np.stack([np.arange(self.obs_off[j], self.obs_off[j + 1]) for j in team]))
        own_act_cols = tf.constant(np.stack([np.arange(self.act_off[j], self.act_off[j + 1]) for j in team]))
        own_cols = lambda x, cols: tf.gather(x, cols, axis=2, batch_dims=1)  # [M, B, d] member m's block
        extra = critic_extra(M, me.local_q)
        index = tf.broadcast_to(tf.eye(M)[:, None, :], tf.stack([M, B, M])) if extra else None

        def critic_in(o, a):  # rows [M * B, critic input]
            if me.local_q:
                x = tf.concat([own_cols(o, own_obs_cols), own_cols(a, own_act_cols)], axis=2)
            else:
                x = tf.concat([o, a] + ([index] if extra else []), axis=2)
            return tf.reshape(x, [M * B, -1])

        # critic
        next_act = self.target_actions(agents, next_obs, next_seed, temperature)
        next_q = q_value(me.target_critic, critic_in(next_obs, next_act))
        rew_used = standardise(rew, axis=1) if hp.standardise_rewards else rew
        y = tf.stop_gradient(critic_target(tf.reshape(rew_used, [-1]), tf.reshape(done, [-1]), next_q, hp.gamma))
        critic_vars = net_vars(me.critic)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(critic_vars)
            q = q_value(me.critic, critic_in(obs, act))
            q_loss = critic_loss(q, y)
        me.critic_opt.apply(clip_per_variable(tape.gradient(q_loss, critic_vars), hp.grad_clip), critic_vars)

        # actor: member m's own action block replaced by a fresh sample of the shared actor
        place = np.zeros((M, k, int(self.act_off[-1])), np.float32)  # [M, k, sum k]: block of member m
        for m, j in enumerate(team):
            place[m, np.arange(k), self.act_off[j] + np.arange(k)] = 1.0
        keep = tf.constant(1.0 - place.sum(axis=1)[:, None, :])  # [M, 1, sum k]
        actor_vars = net_vars(me.actor)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(actor_vars)
            params = me.actor(tf.reshape(own_cols(obs, own_obs_cols), [M * B, d]))
            sample = tf.reshape(me.dist.sample(params, next_seed(), temperature), [M, B, k])
            acts = act * keep + tf.einsum("mbc,mck->mbk", sample, tf.constant(place))
            q_pi = q_value(me.critic, critic_in(obs, acts))
            p_loss = actor_loss(q_pi, params, hp.policy_regulariser)
        me.actor_opt.apply(clip_per_variable(tape.gradient(p_loss, actor_vars), hp.grad_clip), actor_vars)
        polyak_update(actor_vars, net_vars(me.target_actor), hp.tau)
        polyak_update(critic_vars, net_vars(me.target_critic), hp.tau)
        return self._metrics(team, q, y, q_pi, params, rew, next_q, hp)

    @staticmethod
    def _metrics(team, q, y, q_pi, params, rew, next_q, hp) -> Dict[str, tf.Tensor]:
        M = len(team)
        per = lambda x: tf.reshape(x, [M, -1])  # [M, B]: member m's rows
        q_losses = tf.reduce_mean(tf.square(per(q) - per(y)), axis=1)
        p_losses = -tf.reduce_mean(per(q_pi), axis=1) + hp.policy_regulariser * tf.reduce_mean(
            tf.reshape(tf.square(params), [M, -1]), axis=1)
        values = (q_losses, p_losses, tf.reduce_mean(per(y), axis=1), tf.reduce_mean(rew, axis=1),
                  tf.reduce_mean(per(next_q), axis=1), tf.math.reduce_std(per(y), axis=1))
        out = {}
        for m, i in enumerate(team):
            out.update({f"{name}_{i}": v[m] for name, v in zip(METRIC_NAMES, values)})
        return out


def shared_round(rule: TeamRule, agents: Sequence[AgentNets], batch: dict, hp: UpdateSettings,
                 next_seed: Callable, temperature=None) -> Dict[str, tf.Tensor]:
    """One update round: every team's turn in order (module docstring)."""
    metrics = {}
    for t in range(len(rule.teams)):
        metrics.update(rule.update_team(t, agents, batch, hp, next_seed, temperature))
    return metrics


def team_of(teams: Sequence[Sequence[int]], i: int) -> List[int]:
    """The team agent i belongs to."""
    return next(list(t) for t in teams if i in t)
