"""The original's update rule (the default, `--agent-updates sequential`): agents one after another.

For agent 0, 1, ... in turn: critic step, then actor step (against the freshly updated critic),
then the polyak update of that agent's targets. Agent i's critic target therefore sees the target
actors of agents < i already moved this round (docs/original.md §3). `update_agent` is one agent's
turn; the learner (maddpg_tf2.learner) runs the turns in order.
"""
from __future__ import annotations

from typing import Callable, Dict, Sequence

import tensorflow as tf

from maddpg_tf2.kernel import (AgentNets, UpdateSettings, actor_step, critic_step, net_vars, polyak_update,
                               target_actions, update_metrics)


def update_agent(i: int, agents: Sequence[AgentNets], batch_i: dict, hp: UpdateSettings,
                 next_seed: Callable, temperature=None, next_act_n=None) -> Dict[str, tf.Tensor]:
    """One MADDPG update of agent i from its own batch.

    Args:
        i: The agent.
        agents: Every agent's AgentNets.
        batch_i: Agent i's batch (maddpg_tf2.kernel's module docstring).
        hp: The update's settings.
        next_seed: Gives a fresh stateless seed for every sample drawn.
        temperature: The estimator's temperature this round (None: the distribution's own).
        next_act_n: Target actions given by the caller (inferred policies), None where agent j's own
            target actor acts; None for all.

    Returns:
        The original's six numbers, named `f"{name}_{i}"` (kernel.METRIC_NAMES).
    """
    me = agents[i]
    # Critic: target actions from every agent's target actor on its own next observation.
    next_act_n = target_actions(agents, batch_i["next_obs_n"], next_seed, temperature, given=next_act_n)
    q_loss, y, next_q, obs_all = critic_step(i, agents, batch_i, next_act_n, hp)
    critic_vars = net_vars(me.critic)

    p_loss = actor_step(i, me, me, batch_i["obs_n"], batch_i["act_n"], obs_all, hp, next_seed, temperature)
    polyak_update(critic_vars, net_vars(me.target_critic), hp.tau)
    return update_metrics(i, q_loss, p_loss, y, batch_i["rew"], next_q)
