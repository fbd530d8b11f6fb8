"""Inferred policies (paper section 4.2, maddpg_tf2/inference.py): likelihood, entropy and KL by hand,
convergence to a fixed known policy on synthetic data, and the critic target reading the
approximations only when the flag is on."""
import math

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from maddpg_tf2.config import Config
from maddpg_tf2.distributions import Bernoulli, DiagGaussian, SoftCategorical, SoftMultiCategorical
from maddpg_tf2.estimators import make_estimator
from maddpg_tf2.inference import (PolicyInference, approximation_loss, concrete_log_prob, entropy,
                                  kl_divergence, log_prob)
from maddpg_tf2.kernel import UpdateSettings
from maddpg_tf2.learner import Learner
from maddpg_tf2.networks import MLP

c = tf.constant


# ----------------------------------------------------------------------------- by hand

def test_concrete_density_by_hand_and_against_tfp():
    # K = 2, temperature 1, equal logits: the Concrete distribution is uniform on the simplex (density 1).
    assert concrete_log_prob(c([[0.0, 0.0]]), c([[0.3, 0.7]])).numpy()[0] == pytest.approx(0.0, abs=1e-6)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4)).astype(np.float32)
    for t in (1.0, 0.5):
        x = SoftCategorical(4, temperature=t).sample_np(logits, rng)
        ours = concrete_log_prob(c(logits), c(x), t).numpy()
        ref = tfp.distributions.RelaxedOneHotCategorical(t, logits=logits).log_prob(x).numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4)


def test_log_prob_entropy_kl_by_hand_per_family():
    # Soft actions: the Concrete density; one-hot actions (one-hot estimators): log softmax.
    soft, onehot = SoftCategorical(2), SoftCategorical(2, make_estimator("stgs"))
    assert log_prob(soft, c([[0.0, 0.0]]), c([[0.5, 0.5]])).numpy()[0] == pytest.approx(0.0, abs=1e-6)
    assert log_prob(onehot, c([[math.log(3.0), 0.0]]), c([[1.0, 0.0]])).numpy()[0] == pytest.approx(math.log(0.75))
    assert entropy(soft, c([[0.0, 0.0]])).numpy()[0] == pytest.approx(math.log(2.0))
    # KL([.5, .5] || [.75, .25]) = .5 log(.5/.75) + .5 log(.5/.25) = .5 log(4/3)
    assert kl_divergence(soft, c([[0.0, 0.0]]), c([[math.log(3.0), 0.0]])).numpy()[0] == pytest.approx(0.5 * math.log(4 / 3))
    # MultiDiscrete: parts summed, actions shifted back by low.
    multi = SoftMultiCategorical([1, 0], [2, 1], make_estimator("stgs"))
    lp = log_prob(multi, c([[0.0, 0.0, math.log(3.0), 0.0]]), c([[1.0, 2.0, 1.0, 0.0]])).numpy()[0]
    assert lp == pytest.approx(math.log(0.5) + math.log(0.75))  # part 0 is [2, 1] = low 1 + [1, 0]
    assert entropy(multi, c([[0.0, 0.0, 0.0, 0.0]])).numpy()[0] == pytest.approx(2 * math.log(2.0))
    # Gaussian N(0, 1) at 0; entropy 0.5 log(2 pi e); KL(N(0,1) || N(1, e^2)) = 1 + (1 + 1)/(2 e^2) - 0.5
    g = DiagGaussian(1)
    assert log_prob(g, c([[0.0, 0.0]]), c([[0.0]])).numpy()[0] == pytest.approx(-0.5 * math.log(2 * math.pi))
    assert entropy(g, c([[0.0, 0.0]])).numpy()[0] == pytest.approx(0.5 * math.log(2 * math.pi * math.e))
    assert kl_divergence(g, c([[0.0, 0.0]]), c([[1.0, 1.0]])).numpy()[0] == pytest.approx(0.5 + 1 / math.e ** 2)
    # Bernoulli logit 0: log 0.5 per element, entropy log 2.
    b = Bernoulli(2)
    assert log_prob(b, c([[0.0, 0.0]]), c([[1.0, 0.0]])).numpy()[0] == pytest.approx(2 * math.log(0.5))
    assert entropy(b, c([[0.0, 0.0]])).numpy()[0] == pytest.approx(2 * math.log(2.0))
    # L = -mean(loglik + lambda H) = -((1 + .1 * 2) + (3 + .1 * 4)) / 2
    assert approximation_loss(c([1.0, 3.0]), c([2.0, 4.0]), 0.1).numpy() == pytest.approx(-2.3)


# ----------------------------------------------------------------------------- convergence



@pytest.mark.parametrize("estimator", [None, "stgs"])
def test_approximation_converges_to_a_fixed_known_policy(estimator):
    rng = np.random.default_rng(1)
    obs_dim, k, n = 4, 5, 16384
    dist = SoftCategorical(k, make_estimator(estimator) if estimator else None)
    w = rng.normal(scale=1.5, size=(obs_dim, k)).astype(np.float32)  # the known policy: logits o @ w
    true = lambda o: o @ w
    obs = rng.normal(size=(n, obs_dim)).astype(np.float32)
    act = dist.sample_np(true(obs), rng)  # soft samples, or one-hot for the one-hot estimator
    init = np.random.default_rng(2)
    inf = PolicyInference([dist, dist], [obs_dim, obs_dim], [False, False], lr=1e-2, entropy_weight=1e-3,
                          target_action="sample", target_init="independent",
                          make_net=lambda i, o, name: MLP(i, o, 32, init, name=name),
                          behaviour_params=lambda j, o, b: o @ tf.constant(w))
    hp = UpdateSettings()
    gen = tf.random.Generator.from_seed(0)
    seed = lambda: gen.uniform_full_int([2], dtype=tf.int32)

    @tf.function
    def step(o, a):
        batch = {"obs_n": [o, o], "act_n": [a, a], "next_obs_n": [o, o]}
        return inf.step(0, batch, hp, seed)[0]

    kl0 = None
    for s in range(400):
        idx = rng.integers(0, n, 1024)
        m = step(tf.constant(obs[idx]), tf.constant(act[idx]))
        kl0 = float(m["infer/kl_0_1"]) if kl0 is None else kl0
    all_m = step(tf.constant(obs), tf.constant(act))
    kl, loglik = float(all_m["infer/kl_0_1"]), float(all_m["infer/loglik_0_1"])
    true_loglik = float(tf.reduce_mean(log_prob(dist, c(true(obs)), c(act))))
    assert kl0 > 0.3 and kl < 0.03, (kl0, kl)
    # the fitted likelihood reaches the true policy's own (the maximum, up to the sample's noise)
    assert loglik == pytest.approx(true_loglik, abs=0.05 * abs(true_loglik) + 0.05)
    assert set(all_m) == {"infer/loglik_0_1", "infer/entropy_0_1", "infer/kl_0_1"}  # agent 1 not updated here


# ----------------------------------------------------------------------------- the critic target

def _learner(infer: bool, target_action="sample"):
    config = Config(seed=0, num_units=8, infer_policies=infer, infer_target_action=target_action,
                    target_init="copy")
    learner = Learner(config, [3, 3], [gym.spaces.Discrete(5), gym.spaces.Discrete(5)])
    # Agent 0's target critic reads agent 1's action entry 4 (input column 3 + 3 + 5 + 4) and nothing else.
    net = learner.agents[0].target_critic
    for kern, bias in zip(net.kernels, net.biases):
        kern.assign(tf.zeros_like(kern))
        bias.assign(tf.zeros_like(bias))
    net.kernels[0][15, 0].assign(1.0)
    net.kernels[1][0, 0].assign(1.0)
    net.kernels[2][0, 0].assign(1.0)
    return learner


def _set_policy(net, bias):
    for kern in net.kernels:
        kern.assign(tf.zeros_like(kern))
    for b in net.biases[:-1]:
        b.assign(tf.zeros_like(b))
    net.biases[-1].assign(np.asarray(bias, np.float32))


def _batch(rng, b=64):
    return {"obs_n": [rng.normal(size=(2, b, 3)) for _ in range(2)],
            "act_n": [np.eye(5)[rng.integers(0, 5, (2, b))] for _ in range(2)],
            "next_obs_n": [rng.normal(size=(2, b, 3)) for _ in range(2)],
            "rew": np.zeros((2, b, 2)), "done": np.zeros((2, b, 2))}


def test_critic_target_uses_the_approximations_only_when_on():
    rng = np.random.default_rng(0)
    # Agent 1's true target actor picks action 0; agent 0's approximation of it, action 4.
    next_q = {}
    for infer in (False, True):
        learner = _learner(infer)
        _set_policy(learner.agents[1].target_actor, [50, 0, 0, 0, 0])
        if infer:
            approx = learner.inference.approx[0][1]
            _set_policy(approx.net, [0, 0, 0, 0, 50])
            _set_policy(approx.target_net, [0, 0, 0, 0, 50])
            assert learner.inference.approx[0][0] is None and learner.inference.approx[1][0] is not None
        metrics = learner.train_step(_batch(rng))
        next_q[infer] = float(metrics["q/next_target_mean_0"])
        assert ("infer/loglik_0_1" in metrics) == infer
    assert next_q[False] == pytest.approx(0.0, abs=1e-6)
    assert next_q[True] == pytest.approx(1.0, abs=1e-6)


def test_mode_feeds_the_probabilities_by_hand():
    learner = _learner(True, "mode")
    approx = learner.inference.approx[0][1]
    for net in (approx.net, approx.target_net):
        _set_policy(net, [0, 0, 0, 0, math.log(3.0)])
    # Adam moves the online approximation by about lr; the target by tau of that: the softmax's
    # entry 4 stays 3/7 to within about 1e-3.
    metrics = learner.train_step(_batch(np.random.default_rng(0)))
    assert float(metrics["q/next_target_mean_0"]) == pytest.approx(3 / 7, abs=2e-3)


def test_approximations_fit_the_latest_transitions():
    """The paper fits them on "the latest samples": the batch_size newest transitions of all worlds."""
    from maddpg_tf2.inference import with_latest
    from maddpg_tf2.replay import Replay

    replay = Replay(100, [1, 1], [1, 1], num_envs=2, episode_len=3)
    for t in range(8):  # episodes of 3 steps: a fresh first observation after every third step
        obs = [np.full((2, 1), 100.0 * t + np.arange(2)[:, None])] * 2
        nxt = [o + 100.0 for o in obs] if t % 3 != 2 else [o + 0.5 for o in obs]
        replay.add(obs, [np.zeros((2, 1))] * 2, np.zeros((2, 2)), nxt, np.zeros((2, 2)))
    env, row = replay.latest_index(5)
    obs, _ = replay.obs_act_at(env, row)
    np.testing.assert_array_equal(obs[:, 0], [700, 701, 600, 601, 500])  # newest first, worlds interleaved
    config = Config(infer_policies=True)
    batch = with_latest(config, replay, replay.sample)(4, np.random.default_rng(0))
    assert batch["latest_obs"].shape == (2, 4, 2)
    np.testing.assert_array_equal(batch["latest_obs"][1, :, 0], [700, 701, 600, 601])
    assert with_latest(Config(), replay, replay.sample) == replay.sample  # off: the plain sampler
