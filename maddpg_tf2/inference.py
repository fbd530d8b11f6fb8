"""Inferred policies (Lowe et al. 2017, section 4.2): each agent learns the other agents' policies
from their observations and actions in the replay, and its critic target uses those approximations
instead of reading the other agents' target actors.

For every agent i with a centralised critic and every other agent j, an approximation mu_hat_i^j
(an MLP of the actors' shape, o_j -> the parameters of j's action distribution) is fitted by

    L(phi_i^j) = -E_{o_j, a_j ~ D} [ log mu_hat_i^j(a_j | o_j) + lambda * H(mu_hat_i^j(. | o_j)) ]

and agent i's critic target becomes
    y_hat = r_i + gamma * Q'_i(x', mu_hat'_i^1(o'_1), ..., mu'_i(o'_i), ..., mu_hat'_i^N(o'_N)),
with mu_hat'_i^j the approximation's target network.

Choices the paper leaves open (the guide's page "The paper's extensions", docs/extensions.md, lists
them too):
- Schedule: one gradient step of every mu_hat_i^j right before agent i's critic step, on the latest
  samples, as the paper says ("before updating Q_i, take the latest samples of each agent j from the
  replay buffer to perform a single gradient step"): the batch_size most recently stored
  transitions (all worlds interleaved), the same for every agent i, so the approximations follow
  the other agents' current policies rather than the replay's average over their past ones. Adam at
  the actor learning rate, each variable's gradient clipped as the actors' are, targets moved by the
  same polyak tau and initialised as --target-init says. A batch without these (`latest_obs`,
  `latest_act`, as `with_latest` adds them) falls back to agent i's own batch.
- The likelihood is the exact density of the distribution family that generated the stored action:
  the soft (Gumbel-softmax, temperature t) sample the original acts with has the Concrete density
      log p(x) = log (K-1)! + (K-1) log t + sum_k (phi_k - (t+1) log x_k) - K logsumexp_k(phi_k - t log x_k),
  whose maximiser is the acting policy's own logits (a cross-entropy with the soft action as label
  would fit the mean of the soft samples instead, a flatter policy); one-hot estimators store
  one-hot actions, whose likelihood is the categorical one; Box actions use the diagonal Gaussian,
  MultiBinary the Bernoulli; MultiDiscrete sums its parts.
- H is the entropy of the underlying categorical softmax(phi) for discrete parts (the Concrete
  density's own entropy has no closed form), the Gaussian's and the Bernoulli's otherwise.
- The paper feeds "the action log probabilities directly into Q, rather than sampling". A critic
  trained on replayed actions (points of the simplex) never saw log probabilities, so by default the
  approximate target policy acts as the true target actor does (a sample of its distribution:
  `infer_target_action='sample'`); `'mode'` feeds the distribution's mode without sampling (the
  probabilities softmax(phi) for discrete parts), the nearest reading that the critic can take.
- Only agents with a centralised critic (maddpg) approximate others; a ddpg critic never reads them.
- Quality is logged per pair: `infer/loglik_i_j` (mean log-likelihood of j's replayed actions),
  `infer/entropy_i_j`, and `infer/kl_i_j`, the mean KL(pi_j || mu_hat_i^j) of the categorical (or
  Gaussian, Bernoulli) distributions on the batch's observations, pi_j being the sub-policy of j that
  acted in each transition (read from the learner for logging only; it does not enter any update).
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from maddpg_tf2.distributions import Bernoulli, DiagGaussian, SoftCategorical, SoftMultiCategorical
from maddpg_tf2.kernel import Adam, clip_per_variable, columns, copy_weights, net_vars, polyak_update
from maddpg_tf2.networks import MLP

_LOG_TINY = -80.0  # log of the smallest soft-action entry used (float32 softmax can round to 0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- pure functions

def _categorical_parts(dist):
    """(sizes, lows, one_hot, temperature) of a discrete distribution's categorical parts."""
    if isinstance(dist, SoftCategorical):
        return [dist.k], [0], dist.one_hot, dist.temperature
    if isinstance(dist, SoftMultiCategorical):
        return list(dist.sizes), [int(lo) for lo in dist.low], dist.one_hot, dist.parts[0].temperature
    return None


def concrete_log_prob(logits, x, temperature: float = 1.0):
    """Log density of a Concrete (relaxed one-hot, Gumbel-softmax) sample x [B, K] at `temperature`."""
    k = tf.cast(tf.shape(logits)[-1], logits.dtype)
    log_x = tf.maximum(tf.math.log(x), _LOG_TINY)
    t = tf.constant(temperature, logits.dtype)
    return (tf.math.lgamma(k) + (k - 1.0) * tf.math.log(t)
            + tf.reduce_sum(logits - (t + 1.0) * log_x, axis=-1)
            - k * tf.reduce_logsumexp(logits - t * log_x, axis=-1))


def categorical_log_prob(logits, x):
    """sum_k x_k log softmax(logits)_k: the log-likelihood of a one-hot x (a soft x: its cross-entropy)."""
    return tf.reduce_sum(x * tf.nn.log_softmax(logits, axis=-1), axis=-1)


def categorical_entropy(logits):
    logp = tf.nn.log_softmax(logits, axis=-1)
    return -tf.reduce_sum(tf.exp(logp) * logp, axis=-1)


def categorical_kl(p_logits, q_logits):
    logp, logq = tf.nn.log_softmax(p_logits, axis=-1), tf.nn.log_softmax(q_logits, axis=-1)
    return tf.reduce_sum(tf.exp(logp) * (logp - logq), axis=-1)


def log_prob(dist, params, actions):
    """Log-likelihood [B] of stored actions under `dist` with parameters `params` (see module docstring)."""
    parts = _categorical_parts(dist)
    if parts is not None:
        sizes, lows, one_hot, temperature = parts
        total = 0.0
        for lo, p, a in zip(lows, tf.split(params, sizes, axis=-1), tf.split(actions, sizes, axis=-1)):
            a = a - float(lo)
            total += categorical_log_prob(p, a) if one_hot else concrete_log_prob(p, a, temperature)
        return total
    if isinstance(dist, DiagGaussian):
        mean, log_std = tf.split(params, 2, axis=-1)
        z = (actions - mean) * tf.exp(-log_std)
        return tf.reduce_sum(-0.5 * tf.square(z) - log_std - _HALF_LOG_2PI, axis=-1)
    if isinstance(dist, Bernoulli):
        return tf.reduce_sum(actions * params - tf.nn.softplus(params), axis=-1)
    raise TypeError(f"no likelihood for {type(dist).__name__}")


def entropy(dist, params):
    """Entropy [B] of the policy distribution (discrete parts: of their categorical softmax(params))."""
    parts = _categorical_parts(dist)
    if parts is not None:
        return tf.add_n([categorical_entropy(p) for p in tf.split(params, parts[0], axis=-1)])
    if isinstance(dist, DiagGaussian):
        log_std = tf.split(params, 2, axis=-1)[1]
        return tf.reduce_sum(log_std + 0.5 + _HALF_LOG_2PI, axis=-1)
    if isinstance(dist, Bernoulli):
        p = tf.sigmoid(params)
        return tf.reduce_sum(tf.nn.softplus(params) - p * params, axis=-1)
    raise TypeError(f"no entropy for {type(dist).__name__}")


def kl_divergence(dist, p_params, q_params):
    """KL(p || q) [B] between two parameter sets of `dist` (discrete parts: their categoricals)."""
    parts = _categorical_parts(dist)
    if parts is not None:
        return tf.add_n([categorical_kl(p, q) for p, q in zip(tf.split(p_params, parts[0], axis=-1),
                                                              tf.split(q_params, parts[0], axis=-1))])
    if isinstance(dist, DiagGaussian):
        m1, s1 = tf.split(p_params, 2, axis=-1)
        m2, s2 = tf.split(q_params, 2, axis=-1)
        return tf.reduce_sum(s2 - s1 + (tf.exp(2 * s1) + tf.square(m1 - m2)) / (2 * tf.exp(2 * s2)) - 0.5, axis=-1)
    if isinstance(dist, Bernoulli):
        lp1, lq1 = tf.math.log_sigmoid(p_params), tf.math.log_sigmoid(q_params)
        lp0, lq0 = tf.math.log_sigmoid(-p_params), tf.math.log_sigmoid(-q_params)
        return tf.reduce_sum(tf.exp(lp1) * (lp1 - lq1) + tf.exp(lp0) * (lp0 - lq0), axis=-1)
    raise TypeError(f"no KL for {type(dist).__name__}")


def approximation_loss(loglik, ent, entropy_weight):
    """-mean(log mu_hat(a|o) + lambda * H(mu_hat(.|o))): the paper's L(phi_i^j)."""
    return -tf.reduce_mean(loglik + entropy_weight * ent)


# ----------------------------------------------------------------------------- the networks

class Approximation(tf.Module):
    """Agent i's approximation of agent j's policy: network, target network, Adam."""

    def __init__(self, i: int, j: int, obs_dim: int, param_size: int, lr: float, target_init: str,
                 make_net: Callable):
        super().__init__(name=f"infer_{i}_{j}")
        self.i, self.j = i, j
        self.net = make_net(obs_dim, param_size, "approx_p_func")
        self.target_net = make_net(obs_dim, param_size, "target_approx_p_func")
        if target_init == "copy":
            copy_weights(self.net, self.target_net)
        self.opt = Adam(net_vars(self.net), lr, name="approx_adam")


class PolicyInference(tf.Module):
    """Every maddpg agent's approximations of every other agent, their update and target actions.

    behaviour_params(j, obs_j, batch_i) gives the parameters of the policy that acted for j in each
    row of the batch (for the KL metric only).
    """

    def __init__(self, dists: Sequence, obs_dims: Sequence[int], local_q_n: Sequence[bool], lr: float,
                 entropy_weight: float, target_action: str, target_init: str, make_net: Callable,
                 behaviour_params: Callable):
        super().__init__(name="inference")
        if target_action not in ("sample", "mode"):
            raise ValueError(f"infer_target_action must be 'sample' or 'mode', got {target_action!r}")
        self.dists, self.entropy_weight, self.target_action = list(dists), float(entropy_weight), target_action
        self.behaviour_params = behaviour_params
        n = len(dists)
        self.approx: List[List[Optional[Approximation]]] = [
            [None if (j == i or local_q_n[i]) else
             Approximation(i, j, obs_dims[j], dists[j].param_size, lr, target_init, make_net)
             for j in range(n)] for i in range(n)]

    def trackables(self) -> Dict[str, tf.Module]:
        return {m.name: m for row in self.approx for m in row if m is not None}

    def step(self, i: int, batch_i: dict, hp, next_seed: Callable, temperature=None):
        """One gradient step of agent i's approximations on its batch; returns (metrics, next_act_n)
        with next_act_n[j] the approximate target policy's action at j's next observation (None
        where the learner's own choice stays: agent i itself, or all for a ddpg agent)."""
        metrics, next_act_n = {}, [None] * len(self.dists)
        if "latest_obs" in batch_i:
            obs_dims = [int(o.shape[-1]) for o in batch_i["obs_n"]]
            act_dims = [int(a.shape[-1]) for a in batch_i["act_n"]]
            obs_n, act_n = columns(batch_i["latest_obs"], obs_dims), columns(batch_i["latest_act"], act_dims)
            fit_batch = dict(batch_i, tag=batch_i.get("latest_tag"))
        else:
            obs_n, act_n, fit_batch = batch_i["obs_n"], batch_i["act_n"], batch_i
        for j, m in enumerate(self.approx[i]):
            if m is None:
                continue
            dist, obs_j, act_j = self.dists[j], obs_n[j], act_n[j]
            variables = net_vars(m.net)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(variables)
                params = m.net(obs_j)
                loglik, ent = log_prob(dist, params, act_j), entropy(dist, params)
                loss = approximation_loss(loglik, ent, self.entropy_weight)
            grads = clip_per_variable(tape.gradient(loss, variables), hp.grad_clip)
            m.opt.apply(grads, variables)
            polyak_update(variables, net_vars(m.target_net), hp.tau)
            kl = kl_divergence(dist, self.behaviour_params(j, obs_j, fit_batch), params)
            metrics.update({f"infer/loglik_{i}_{j}": tf.reduce_mean(loglik),
                            f"infer/entropy_{i}_{j}": tf.reduce_mean(ent),
                            f"infer/kl_{i}_{j}": tf.reduce_mean(kl)})
            next_act_n[j] = self.target_act(i, j, batch_i["next_obs_n"][j], next_seed, temperature)
        return metrics, next_act_n

    def target_act(self, i: int, j: int, next_obs_j, next_seed: Callable, temperature=None):
        params = self.approx[i][j].target_net(next_obs_j)
        if self.target_action == "mode":
            return self.dists[j].mode(params)
        return self.dists[j].sample(params, next_seed(), temperature)


def with_latest(config, replay, sample: Callable) -> Callable:
    """The loop's batch source, plus the latest transitions the approximations fit when inferring
    policies: `latest_obs` [N, L, sum d], `latest_act` [N, L, sum k] (and `latest_tag` with
    ensembles), L = min(batch_size, stored), repeated for every agent. Unchanged when off."""
    if not config.infer_policies:
        return sample

    def sample_with_latest(batch_size, rng):
        batch = sample(batch_size, rng)
        if batch is None:
            return None
        env, row = replay.latest_index(batch_size)
        obs, act = replay.obs_act_at(env, row)
        n = replay.n
        batch["latest_obs"], batch["latest_act"] = np.stack([obs] * n), np.stack([act] * n)
        if "tag" in batch:
            batch["latest_tag"] = np.stack([replay.tags_at(env, row)] * n)
        return batch
    return sample_with_latest


def make_inference(learner, config, make_net: Callable, init_rng: np.random.Generator):
    """The learner's PolicyInference, or None when --infer-policies is off."""
    if not config.infer_policies:
        return None
    make_net = make_net or (lambda i, o, name: MLP(i, o, config.num_units, init_rng, name=name))
    return PolicyInference(learner.dists, learner.obs_dims, learner.local_q_n, config.actor_learning_rate,
                           config.infer_entropy, config.infer_target_action, config.target_init, make_net,
                           learner.behaviour_params)
