import math

import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2.estimators import (
    _uniform,
    ESTIMATORS, apply_to_multi, categorical_one_hot, conditional_gumbel, gradient_variance,
    gst_shift, gumbel_noise, make_estimator, sample_numpy, split_seed, tags_temperature)

LOGITS = tf.constant([[1.0, 0.0, -1.0, 0.5, 2.0],
                      [0.0, 0.0, 0.0, 0.0, 0.0],
                      [30.0, -30.0, 0.0, 1.0, -2.0]])
SEED = tf.constant([3, 7], tf.int32)
EULER = 0.5772156649


def _is_one_hot(x):
    x = np.asarray(x)
    return np.all((x == 0) | (x == 1)) and np.all(x.sum(-1) == 1)


def _grad(fn, logits, weights):
    logits = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(weights * fn(logits))
    return tape.gradient(loss, logits).numpy()


WEIGHTS = tf.constant(np.arange(15, dtype=np.float32).reshape(3, 5) / 7.0 - 1.0)


@pytest.mark.parametrize("name", ["stgs", "tags", "grmck", "gst"])
def test_forward_is_one_hot(name):
    est = make_estimator(name, temperature=0.7, rao_k=4)
    assert est.one_hot and est.name == name
    for s in range(5):
        assert _is_one_hot(est(LOGITS, seed=SEED + s))


def test_gumbel_forward_is_soft_and_matches_original_formula():
    est = make_estimator("gumbel")
    assert not est.one_hot
    y = est(LOGITS, seed=SEED).numpy()
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    assert not _is_one_hot(y)
    assert np.all(y[:2] > 0) and np.all(y[:2] < 1)
    # original MADDPG: softmax(logits - log(-log(u))) with the same uniform draws
    u = _uniform(LOGITS.shape, SEED)
    assert np.all(u.numpy() > 0) and np.all(u.numpy() < 1)
    np.testing.assert_allclose(y, tf.nn.softmax(LOGITS - tf.math.log(-tf.math.log(u))), rtol=1e-5)
    # a given temperature divides the perturbed logits
    y2 = est(LOGITS, temperature=2.0, seed=SEED)
    np.testing.assert_allclose(y2, tf.nn.softmax((LOGITS - tf.math.log(-tf.math.log(u))) / 2.0),
                               rtol=1e-5)


def test_seeded_calls_are_reproducible():
    for name in ESTIMATORS:
        est = make_estimator(name, rao_k=3)
        np.testing.assert_array_equal(est(LOGITS, seed=SEED), est(LOGITS, seed=SEED))


@pytest.mark.parametrize("name", ["stgs", "tags"])
def test_stgs_forward_and_gradient_use_the_soft_sample(name):
    tau = 0.6
    est = make_estimator(name, temperature=tau)
    g = gumbel_noise(LOGITS.shape, seed=SEED)
    y = est(LOGITS, seed=SEED)
    np.testing.assert_array_equal(y, tf.one_hot(tf.argmax(LOGITS + g, -1), 5))
    got = _grad(lambda l: est(l, seed=SEED), LOGITS, WEIGHTS)
    want = _grad(lambda l: tf.nn.softmax((l + g) / tau), LOGITS, WEIGHTS)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert np.abs(got).sum() > 0


def test_tags_uses_the_temperature_given_per_call():
    est = make_estimator("tags", temperature=5.0)
    g = gumbel_noise(LOGITS.shape, seed=SEED)
    got = _grad(lambda l: est(l, temperature=0.5, seed=SEED), LOGITS, WEIGHTS)
    want = _grad(lambda l: tf.nn.softmax((l + g) / 0.5), LOGITS, WEIGHTS)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("logits", [[1.0, 0.0, -1.0], [30.0, -30.0, 0.0], [0.0, 0.0, 0.0],
                                    [-50.0, 40.0, 39.9999], [1e-3, 0.0, 80.0]])
def test_conditional_gumbel_argmax_is_always_d(logits):
    k = 2000
    logits = tf.constant([logits] * 3)
    d = tf.eye(3)  # every class chosen once, including the nearly impossible ones
    for s in range(3):
        g = conditional_gumbel(logits, d, k, seed=SEED + s)
        assert g.shape == (k, 3, 3)
        assert np.all(np.isfinite(g))
        perturbed = (logits[None] + g).numpy()
        assert np.all(perturbed.argmax(-1) == np.arange(3)[None, :])
        # strict: no ties either, so any argmax convention gives D
        top = perturbed.max(-1, keepdims=True)
        assert np.all((perturbed == top).sum(-1) == 1)


def test_conditional_gumbel_has_the_right_law():
    # Equal logits over n classes: the chosen class carries the max of n Gumbels, mean log n + gamma.
    n, k = 4, 20000
    g = conditional_gumbel(tf.zeros([1, n]), tf.one_hot([2], n), k, seed=SEED).numpy()[:, 0]
    assert abs(g[:, 2].mean() - (math.log(n) + EULER)) < 0.05
    # Averaging over D ~ softmax(logits) recovers the unconditional Gumbel(0, 1) (mean gamma).
    logits = tf.constant([[2.0, 0.0, -1.0]] * k)
    d = categorical_one_hot(logits, seed=SEED)
    g = conditional_gumbel(logits, d, 1, seed=SEED + 1).numpy()[0]
    np.testing.assert_allclose(g.mean(0), EULER, atol=0.05)
    np.testing.assert_allclose(g.var(0), math.pi ** 2 / 6, rtol=0.08)


@pytest.mark.parametrize("k", [1, 5])
def test_grmck_gradient_is_the_mean_of_conditional_soft_gradients(k):
    tau = 0.8
    est = make_estimator("grmck", temperature=tau, rao_k=k)
    seed_d, seed_g = split_seed(SEED, 2)
    d = categorical_one_hot(LOGITS, seed_d)
    g = conditional_gumbel(LOGITS, d, k, seed_g)
    y = est(LOGITS, seed=SEED)
    np.testing.assert_array_equal(y, d)
    got = _grad(lambda l: est(l, seed=SEED), LOGITS, WEIGHTS)
    per_draw = [_grad(lambda l: tf.nn.softmax((l + g[i]) / tau), LOGITS, WEIGHTS) for i in range(k)]
    np.testing.assert_allclose(got, np.mean(per_draw, axis=0), rtol=1e-5, atol=1e-7)


def _chi_square(counts, probs):
    expected = probs * counts.sum()
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("name", ["gst", "grmck"])
def test_categorical_forward_frequencies_match_softmax(name):
    n = 20000
    logits = tf.constant([[1.0, 0.0, -1.0, 0.5]] * n)
    y = make_estimator(name).__call__(logits, seed=SEED).numpy()
    assert _is_one_hot(y)
    probs = tf.nn.softmax(logits[0]).numpy()
    # 3 degrees of freedom: P(chi2 > 16.3) = 0.001; the seed is fixed, so this is deterministic.
    assert _chi_square(y.sum(0), probs) < 16.3


def test_gst_shift_hand_example():
    logits = tf.constant([[2.0, 0.0, 1.5, -3.0]])
    d = tf.constant([[0.0, 1.0, 0.0, 0.0]])
    moved = (logits + gst_shift(logits, d, gap=1.0)).numpy()
    # chosen class lifted to the max (2); others pushed to at most 2 - 1; -3 is already far enough
    np.testing.assert_allclose(moved, [[1.0, 2.0, 1.0, -3.0]])
    # choosing the argmax itself moves it not at all
    d0 = tf.constant([[1.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(logits + gst_shift(logits, d0, gap=1.0), [[2.0, 0.0, 1.0, -3.0]])


def test_gst_gap_condition_and_gradient():
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(size=(200, 6)) * 3, tf.float32)
    gap, tau = 1.5, 0.9
    seed_d, _ = split_seed(SEED, 2)
    d = categorical_one_hot(logits, seed_d)
    m = gst_shift(logits, d, gap)
    moved = (logits + m).numpy()
    dn = d.numpy().astype(bool)
    np.testing.assert_allclose(moved[dn], logits.numpy().max(-1), rtol=1e-6)
    others = np.where(dn, -np.inf, moved).max(-1)
    assert np.all(moved[dn] - others >= gap - 1e-5)
    est = make_estimator("gst", temperature=tau, gst_gap=gap)
    np.testing.assert_array_equal(est(logits, seed=SEED), d)
    w = tf.constant(rng.normal(size=(200, 6)), tf.float32)
    got = _grad(lambda l: est(l, seed=SEED), logits, w)
    want = _grad(lambda l: tf.nn.softmax((l + m) / tau), logits, w)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_tags_schedule():
    assert tags_temperature(0, 5.0, 0.5, 100) == pytest.approx(5.0)
    assert tags_temperature(100, 5.0, 0.5, 100) == pytest.approx(0.5)
    assert tags_temperature(10**6, 5.0, 0.5, 100) == pytest.approx(0.5)
    assert tags_temperature(50, 5.0, 0.5, 100) == pytest.approx(math.sqrt(5.0 * 0.5))
    assert tags_temperature(25, 4.0, 1.0, 100) == pytest.approx(4.0 * 0.25 ** 0.25)
    step = tf.Variable(50, dtype=tf.int64)
    t = tags_temperature(step, 5.0, 0.5, 100)
    assert tf.is_tensor(t)
    assert float(t) == pytest.approx(math.sqrt(2.5), rel=1e-6)
    assert float(tags_temperature(tf.constant(300), 5.0, 0.5, 100)) == pytest.approx(0.5, rel=1e-6)


def test_apply_to_multi_estimates_each_subspace():
    est = make_estimator("stgs")
    logits = tf.constant(np.random.default_rng(1).normal(size=(6, 8)), tf.float32)
    y = apply_to_multi(est, logits, [5, 3], seed=SEED).numpy()
    assert y.shape == (6, 8)
    assert _is_one_hot(y[:, :5]) and _is_one_hot(y[:, 5:])
    soft = apply_to_multi(make_estimator("gumbel"), logits, [5, 3], seed=SEED).numpy()
    np.testing.assert_allclose(soft[:, :5].sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(soft[:, 5:].sum(-1), 1.0, rtol=1e-6)


def test_compiles_with_xla():
    est = make_estimator("grmck", temperature=0.5, rao_k=3)
    logits = tf.Variable(LOGITS)

    @tf.function(jit_compile=True)
    def step(seed, tau):
        with tf.GradientTape() as tape:
            y = est(logits, temperature=tau, seed=seed)
            loss = tf.reduce_sum(WEIGHTS * y)
        return y, tape.gradient(loss, logits)

    y, grad = step(SEED, tf.constant(0.5))
    assert _is_one_hot(y.numpy())
    assert np.all(np.isfinite(grad.numpy())) and np.abs(grad.numpy()).sum() > 0
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(WEIGHTS * est(logits, seed=SEED))
    np.testing.assert_array_equal(y, est(LOGITS, seed=SEED))
    np.testing.assert_allclose(grad, tape.gradient(loss, logits), rtol=1e-4, atol=1e-6)


def test_sample_numpy_forward():
    rng = np.random.default_rng(0)
    logits = np.tile(np.array([[1.0, 0.0, -1.0, 0.5]], np.float32), (20000, 1))
    soft = sample_numpy("gumbel", logits[:10], rng)
    assert soft.dtype == np.float32
    np.testing.assert_allclose(soft.sum(-1), 1.0, rtol=1e-5)
    assert not _is_one_hot(soft)
    probs = np.exp(logits[0]) / np.exp(logits[0]).sum()
    for name in ["stgs", "tags", "grmck", "gst"]:
        y = sample_numpy(name, logits, rng, temperature=0.3)
        assert _is_one_hot(y)
        assert _chi_square(y.sum(0), probs) < 16.3
    # same generator state, same draw
    a = sample_numpy("stgs", logits[:50], np.random.default_rng(5))
    np.testing.assert_array_equal(a, sample_numpy("stgs", logits[:50], np.random.default_rng(5)))


def test_gradient_variance_hand_example():
    # one 2-vector and one scalar per draw; draws differ by +-1 in every entry
    draws = [[tf.constant([1.0, 3.0]), tf.constant(0.0), None],
             [tf.constant([3.0, 5.0]), tf.constant(2.0), None]]
    out = gradient_variance(draws)
    # per-parameter population variance = 1 for each of the 3 parameters
    assert float(out["elementwise_variance"]) == pytest.approx(1.0)
    assert float(out["norm_variance"]) == pytest.approx(3.0)
    same = gradient_variance([[np.ones((2, 2))]] * 4)
    assert float(same["elementwise_variance"]) == 0.0 and float(same["norm_variance"]) == 0.0


def test_rejects_bad_settings():
    with pytest.raises(ValueError):
        make_estimator("gumbel_rao")
    with pytest.raises(ValueError):
        make_estimator("grmck", rao_k=0)
    with pytest.raises(ValueError):
        make_estimator("stgs", temperature=0.0)
    with pytest.raises(ValueError):
        sample_numpy("nope", np.zeros((1, 2)), np.random.default_rng(0))
