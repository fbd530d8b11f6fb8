"""MATD3 (Ackermann et al. 2019, arXiv 1910.01465): MADDPG with TD3's twin critics, on the kernel.

Agent i keeps a second centralised critic Q2 and its target beside the kernel's `AgentNets`
(its critic is Q1). Each of the agent's update turns:

1. target actions a'_j of every agent's target actor (the kernel's `target_actions`); with target
   policy smoothing, clipped Gaussian noise clip(N(0, sigma), -c, c) is added to the sampled target
   actions of every agent (`--use-critic-noise`) or of agent i alone (`--use-critic-noise-self`);
   for the soft-categorical policies of the particle worlds the noise lands on the soft one-hot
   sample (the action the critic sees), as in the authors' code, and is not re-clipped;
2. y = r + gamma (1 - done) min(Q1'(x', a'), Q2'(x', a')): the smaller of the two target critics;
3. one step of Q1 and one of Q2 towards the same y;
4. every `--policy-update-rate` d-th turn of the agent (its own counter, checkpointed, starting at
   its first turn): the actor step against Q1 (the kernel's `actor_step`, which moves the actor's
   target), then the polyak update of both target critics.

What the authors' code (JohannesAck/MATD3implementation, matd3/matd3/trainer/matd3.py) does that
is kept: the noise on the sampled actions, Q1 in the actor loss, the targets moving only on actor
turns, both critics fitting one target. What differs: their delay counts global environment steps
(actor turns where train_step % (100 d) == 0), so the phase of the first actor turn depends on
when learning starts; here it is the agent's own count of critic turns, which agrees with theirs at
the default settings (the first update, at step 25 600, is an actor turn in both). Their
`--use-critic-noise-self` crashes at its first update; here it noises agent i's own action.
Their critic ignores `done` unless `--critic-zero-if-done`; the particle worlds never set done, and
this project's replay stores time-limit ends as not done, so the kernel's critic target agrees.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.kernel import (Adam, AgentNets, UpdateSettings, actor_step, copy_weights, critic_input,
                               critic_target, fit_critic, joint, net_vars, polyak_update, q_value, standardise,
                               target_actions, update_metrics)
from maddpg_tf2.networks import MLP


@dataclass
class MATD3Settings:
    """MATD3's own hyperparameters (the authors' defaults).

    Attributes:
        policy_update_rate: d, critic turns per actor turn.
        noise: Target-policy smoothing: "none", "all" (every agent's next action) or "self".
        noise_stddev: sigma of the smoothing noise.
        noise_clip: c, the noise is clipped to [-c, c].
    """
    policy_update_rate: int = 2
    noise: str = "none"
    noise_stddev: float = 0.2
    noise_clip: float = 0.5

    @classmethod
    def from_config(cls, c: Config) -> "MATD3Settings":
        """The settings of a run's Config."""
        noise = "all" if c.use_critic_noise else "self" if c.use_critic_noise_self else "none"
        return cls(int(c.policy_update_rate), noise, float(c.critic_action_noise_stddev), float(c.action_noise_clip))


def smoothing_noise(shape, seed, stddev: float, clip: float):
    """clip(N(0, stddev), -clip, clip) of the given shape (stateless: the seed decides it).

    Args:
        shape: The action's shape [B, k].
        seed: A stateless seed, int32 [2].
        stddev: The noise's standard deviation.
        clip: Its bound.

    Returns:
        The noise [B, k].
    """
    noise = stddev * tf.random.stateless_normal(shape, seed, dtype=tf.float32)
    return tf.clip_by_value(noise, -clip, clip)


def twin_min(q1, q2):
    """The smaller of two critics' values, elementwise: MATD3's critic target uses min(Q1', Q2')."""
    return tf.minimum(q1, q2)


class TwinCritic(tf.Module):
    """Agent i's second critic Q2, its target, its Adam and the agent's count of critic turns.

    Args:
        index: The agent.
        critic_in_dim: The critic's input size (the centralised critic's).
        critic_lr: Its Adam learning rate.
        target_init: "independent" or "copy", as the kernel's AgentNets.
        make_net: `make_net(in_dim, out_dim, name)` building each network.
    """

    def __init__(self, index: int, critic_in_dim: int, critic_lr: float, target_init: str, make_net: Callable):
        super().__init__(name=f"agent_{index}_matd3")
        self.critic = make_net(critic_in_dim, 1, "q_func2")
        self.target_critic = make_net(critic_in_dim, 1, "target_q_func2")
        if target_init == "copy":
            copy_weights(self.critic, self.target_critic)
        self.critic_opt = Adam(net_vars(self.critic), critic_lr, name="critic2_adam")
        self.critic_updates = tf.Variable(0, dtype=tf.int64, trainable=False, name="critic_updates")


def update_agent(i: int, agents: Sequence[AgentNets], twin: TwinCritic, batch_i: dict, hp: UpdateSettings,
                 td3: MATD3Settings, next_seed: Callable, temperature=None, next_act_n=None) -> Dict[str, tf.Tensor]:
    """One MATD3 turn of agent i (the module docstring's steps 1-4).

    Args:
        i: The agent.
        agents: Every agent's AgentNets (agent i's critic is Q1).
        twin: Agent i's TwinCritic (Q2 and the turn counter).
        batch_i: Agent i's batch (maddpg_tf2.kernel's module docstring).
        hp: The kernel's update settings.
        td3: MATD3's own settings.
        next_seed: Gives a fresh stateless seed for every draw.
        temperature: The estimator's temperature this round (None: the distribution's own).
        next_act_n: Target actions given by the caller, None where agent j's target actor acts.

    Returns:
        The six numbers of kernel.METRIC_NAMES (`loss/critic` of Q1; `loss/actor` 0 on turns without
        an actor step) and `loss/critic2_i`, named `f"{name}_{i}"`.
    """
    me = agents[i]
    next_act_n = target_actions(agents, batch_i["next_obs_n"], next_seed, temperature, given=next_act_n)
    noised = range(len(agents)) if td3.noise == "all" else [i] if td3.noise == "self" else []
    next_act_n = list(next_act_n)
    for j in noised:
        next_act_n[j] = next_act_n[j] + smoothing_noise(tf.shape(next_act_n[j]), next_seed(), td3.noise_stddev,
                                                        td3.noise_clip)

    obs_all, next_obs_all = joint(batch_i, "obs", "obs_n"), joint(batch_i, "next_obs", "next_obs_n")
    x_next = critic_input(i, batch_i["next_obs_n"], next_act_n, me.local_q, next_obs_all)
    next_q = twin_min(q_value(me.target_critic, x_next), q_value(twin.target_critic, x_next))
    rew = batch_i["rew"]
    y = tf.stop_gradient(critic_target(standardise(rew) if hp.standardise_rewards else rew, batch_i["done"],
                                       next_q, hp.gamma))
    x = critic_input(i, batch_i["obs_n"], batch_i["act_n"], me.local_q, obs_all)
    q_loss = fit_critic(me.critic, me.critic_opt, x, y, hp.grad_clip)
    q2_loss = fit_critic(twin.critic, twin.critic_opt, x, y, hp.grad_clip)

    def actor_turn():
        p_loss = actor_step(i, me, me, batch_i["obs_n"], batch_i["act_n"], obs_all, hp, next_seed, temperature)
        polyak_update(net_vars(me.critic), net_vars(me.target_critic), hp.tau)
        polyak_update(net_vars(twin.critic), net_vars(twin.target_critic), hp.tau)
        return p_loss

    is_actor_turn = tf.equal(twin.critic_updates % td3.policy_update_rate, 0)
    p_loss = tf.cond(is_actor_turn, actor_turn, lambda: tf.constant(0.0, tf.float32))
    with tf.control_dependencies([p_loss]):
        twin.critic_updates.assign_add(1)
    metrics = update_metrics(i, q_loss, p_loss, y, rew, next_q)
    metrics[f"loss/critic2_{i}"] = q2_loss
    return metrics


class MATD3Rule:
    """The learner's per-agent rule object for a matd3 agent: builds agent i's TwinCritic and runs its turns.

    Args:
        i: The agent.
        agents: Every agent's AgentNets (built before any rule's extra state).
        config: The run's Config.
        make_net: `make_net(in_dim, out_dim, name)`, or None for the default MLP.
        rng: The generator the default MLPs draw their initial weights from.
    """

    name = "matd3"

    def __init__(self, i: int, agents: Sequence[AgentNets], config: Config, make_net: Optional[Callable],
                 rng: np.random.Generator):
        make_net = make_net or (lambda n_in, n_out, name: MLP(n_in, n_out, config.num_units, rng, name=name))
        self.settings = MATD3Settings.from_config(config)
        self.twin = TwinCritic(i, agents[i].critic_in_dim, config.critic_learning_rate, config.target_init, make_net)

    def update_agent(self, i, agents, batch_i, hp, next_seed, temperature=None, next_act_n=None):
        """Agent i's turn (`update_agent` with this agent's TwinCritic)."""
        return update_agent(i, agents, self.twin, batch_i, hp, self.settings, next_seed, temperature, next_act_n)

    def trackables(self) -> Dict[str, tf.Module]:
        """Checkpointed beside the agents: Q2, its target, its Adam and the turn counter."""
        return {self.twin.name: self.twin}
