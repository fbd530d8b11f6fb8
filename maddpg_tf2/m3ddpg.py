"""M3DDPG (Li et al., AAAI 2019, "Robust Multi-Agent Reinforcement Learning via Minimax Deep
Deterministic Policy Gradient"): MADDPG against a one-step worst case of the other agents, on the kernel.

Multi-agent adversarial learning (MAAL) replaces the inner minimisation over the other agents'
actions by one gradient step: for agent i and a critic Q_i,

    a_j^worst = a_j + eps_j * normalise(grad_{a_j} (-mean_B Q_i(x, a_1, ..., a_N)))    for j != i,

the gradient l2-normalised per sample (TensorFlow's `l2_normalize` along the action axis), eps_j =
`--adv-eps` for agent i's opponents and `--adv-eps-s` for its teammates (the adversaries, the first
`--num-adversaries` agents, are one team; the others the other). Agent i's own action is never
perturbed. The paper's algorithm (the default) uses it twice:

- the critic target: y = r + gamma (1 - done) Q_i'(x', a'^worst), the worst case taken around the
  target actions a'_j of the target actors, with the target critic's gradient;
- the actor loss: -mean Q_i(x, a_1^worst, ..., mu_i(o_i), ..., a_N^worst) + the regulariser, the
  worst case taken around the replayed actions of the others with agent i's fresh sample in place.

`--m3ddpg-released` computes what the released code (dadadidodi/m3ddpg, maddpg/trainer/maddpg.py)
computes: its `q_train` perturbs every other agent by `adv_eps` (the per-agent `adv_rate` is built
and unused, so `--adv-eps-s` has no effect), and its `p_train` builds the perturbed Q but keeps
`pg_loss = -tf.reduce_mean(q)`, so its actor step is MADDPG's. docs/m3ddpg.md shows the lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.kernel import (AgentNets, UpdateSettings, actor_step, critic_input, critic_target, fit_critic,
                               joint, net_vars, normalised_gradient_step, polyak_update, q_value, standardise,
                               target_actions, update_metrics)


@dataclass
class M3DDPGSettings:
    """M3DDPG's own settings for one agent.

    Attributes:
        rates: eps_j per agent j (agent i's own entry unused): adv_eps for opponents, adv_eps_s for teammates.
        released: The released code's behaviour (critic target: adv_eps for every other agent; actor
            loss on the unperturbed Q) instead of the paper's.
        adv_eps: The opponents' step (the released critic target uses it for everyone).
    """
    rates: List[float]
    released: bool = False
    adv_eps: float = 1e-3


def perturbation_rates(i: int, n_agents: int, num_adversaries: int, adv_eps: float, adv_eps_s: float) -> List[float]:
    """eps_j for agent i: adv_eps_s for agents of i's own team, adv_eps for the others.

    Args:
        i: The agent.
        n_agents: N.
        num_adversaries: The first num_adversaries agents are one team, the rest the other.
        adv_eps: The opponents' step.
        adv_eps_s: The teammates' step.

    Returns:
        eps_j per agent j.
    """
    adversary = i < num_adversaries
    return [adv_eps_s if (j < num_adversaries) == adversary else adv_eps for j in range(n_agents)]


def worst_case_actions(critic, i: int, obs_n, act_n, rates: Sequence[float], local_q: bool = False,
                       obs_all=None) -> List[tf.Tensor]:
    """The others' actions after one normalised gradient step that lowers the mean of Q_i.

    Args:
        critic: The critic Q_i (online or target).
        i: The agent whose critic it is (its own action stays as it is).
        obs_n: Observations per agent [B, d_j].
        act_n: Actions per agent [B, k_j] around which the worst case is taken.
        rates: eps_j per agent.
        local_q: A local critic (its input holds no other agent's action: nothing to perturb).
        obs_all: The joint observation [B, sum d] when at hand.

    Returns:
        [B, k_j] per agent: a_j + eps_j * l2_normalize(d(-mean Q)/d a_j) for j != i, a_i unchanged.
    """
    if local_q:
        return [tf.convert_to_tensor(a) for a in act_n]
    return normalised_gradient_step(
        lambda acts: -tf.reduce_mean(q_value(critic, critic_input(i, obs_n, acts, local_q, obs_all))), act_n,
        [None if j == i else r for j, r in enumerate(rates)])


def update_agent(i: int, agents: Sequence[AgentNets], batch_i: dict, hp: UpdateSettings, m3: M3DDPGSettings,
                 next_seed: Callable, temperature=None, next_act_n=None) -> Dict[str, tf.Tensor]:
    """One M3DDPG turn of agent i: critic step towards the worst-case target, actor step, targets.

    Args:
        i: The agent.
        agents: Every agent's AgentNets.
        batch_i: Agent i's batch (maddpg_tf2.kernel's module docstring).
        hp: The kernel's update settings.
        m3: This agent's M3DDPG settings.
        next_seed: Gives a fresh stateless seed for every draw.
        temperature: The estimator's temperature this round.
        next_act_n: Target actions given by the caller, None where agent j's target actor acts.

    Returns:
        The six numbers of kernel.METRIC_NAMES, named `f"{name}_{i}"` (`q/next_target_mean`: the
        target critic at the worst case).
    """
    me = agents[i]
    next_act_n = target_actions(agents, batch_i["next_obs_n"], next_seed, temperature, given=next_act_n)
    obs_all, next_obs_all = joint(batch_i, "obs", "obs_n"), joint(batch_i, "next_obs", "next_obs_n")
    target_rates = [m3.adv_eps] * len(agents) if m3.released else m3.rates
    worst_next = worst_case_actions(me.target_critic, i, batch_i["next_obs_n"], next_act_n, target_rates,
                                    me.local_q, next_obs_all)
    next_q = q_value(me.target_critic, critic_input(i, batch_i["next_obs_n"], worst_next, me.local_q, next_obs_all))
    rew = batch_i["rew"]
    y = tf.stop_gradient(critic_target(standardise(rew) if hp.standardise_rewards else rew, batch_i["done"],
                                       next_q, hp.gamma))
    x = critic_input(i, batch_i["obs_n"], batch_i["act_n"], me.local_q, obs_all)
    q_loss = fit_critic(me.critic, me.critic_opt, x, y, hp.grad_clip)
    if m3.released:  # the released p_train: the perturbed Q is built, the loss stays MADDPG's
        p_loss = actor_step(i, me, me, batch_i["obs_n"], batch_i["act_n"], obs_all, hp, next_seed, temperature)
    else:
        # the paper's actor loss: Q_i with the others at their worst case around the replayed actions
        def worst(acts):
            return worst_case_actions(me.critic, i, batch_i["obs_n"], acts, m3.rates, me.local_q, obs_all)
        p_loss = actor_step(i, me, me, batch_i["obs_n"], batch_i["act_n"], obs_all, hp, next_seed, temperature,
                            perturb=worst)
    polyak_update(net_vars(me.critic), net_vars(me.target_critic), hp.tau)
    return update_metrics(i, q_loss, p_loss, y, rew, next_q)


class M3DDPGRule:
    """The learner's per-agent rule object for an mmmaddpg agent (no state beyond the kernel's AgentNets).

    Args:
        i: The agent.
        agents: Every agent's AgentNets.
        config: The run's Config (adv_eps, adv_eps_s, num_adversaries, m3ddpg_released).
        make_net: Unused (no extra networks).
        rng: Unused.
    """

    name = "mmmaddpg"

    def __init__(self, i: int, agents: Sequence[AgentNets], config: Config, make_net: Optional[Callable] = None,
                 rng: Optional[np.random.Generator] = None):
        rates = perturbation_rates(i, len(agents), config.num_adversaries, config.adv_eps, config.adv_eps_s)
        self.settings = M3DDPGSettings(rates, bool(config.m3ddpg_released), float(config.adv_eps))

    def update_agent(self, i, agents, batch_i, hp, next_seed, temperature=None, next_act_n=None):
        """Agent i's turn (`update_agent` with this agent's settings)."""
        return update_agent(i, agents, batch_i, hp, self.settings, next_seed, temperature, next_act_n)

    def trackables(self) -> Dict[str, tf.Module]:
        """Nothing beyond the agents' own networks."""
        return {}
