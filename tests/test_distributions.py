"""Action distributions: semantics of each kind, TF and numpy sides."""
import types

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2.distributions import (Bernoulli, DiagGaussian, SoftCategorical, SoftMultiCategorical,
                                      make_distribution)

LOGITS = np.array([[1.0, 0.0, -1.0, 0.5, 2.0]], np.float32)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_soft_categorical_rows_sum_to_one_and_are_soft():
    d = SoftCategorical(5)
    a = d.sample(tf.constant(np.repeat(LOGITS, 100, 0)), seed=tf.constant([1, 2])).numpy()
    np.testing.assert_allclose(a.sum(1), 1.0, atol=1e-5)
    assert (a > 0).all() and (a < 1).all()  # a soft vector, not a one-hot
    b = d.sample_np(np.repeat(LOGITS, 100, 0), np.random.default_rng(0))
    np.testing.assert_allclose(b.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(d.mode(tf.constant(LOGITS)).numpy(), softmax(LOGITS), atol=1e-6)


def test_soft_categorical_argmax_frequency_is_softmax():
    d, n = SoftCategorical(5), 40000
    p = softmax(LOGITS.astype(np.float64))[0]
    freq_tf = np.bincount(d.sample(tf.constant(np.repeat(LOGITS, n, 0)), seed=tf.constant([3, 4]))
                          .numpy().argmax(1), minlength=5) / n
    freq_np = np.bincount(d.sample_np(np.repeat(LOGITS, n, 0), np.random.default_rng(1)).argmax(1),
                          minlength=5) / n
    np.testing.assert_allclose(freq_tf, p, atol=0.01)
    np.testing.assert_allclose(freq_np, p, atol=0.01)


def test_same_seed_same_sample():
    d = SoftCategorical(5)
    x = tf.constant(np.repeat(LOGITS, 4, 0))
    np.testing.assert_array_equal(d.sample(x, seed=tf.constant([7, 8])).numpy(),
                                  d.sample(x, seed=tf.constant([7, 8])).numpy())


def test_one_hot_estimator_gives_one_hot_numpy_actions():
    fake = types.SimpleNamespace(one_hot=True, __call__=None)
    d = SoftCategorical(5, estimator=fake)
    a = d.sample_np(np.repeat(LOGITS, 50, 0), np.random.default_rng(0))
    assert set(np.unique(a)) == {0.0, 1.0} and (a.sum(1) == 1).all()


def test_multi_categorical_split_sizes_and_low_offset():
    space = types.SimpleNamespace(low=np.array([0, 1]), high=np.array([4, 3]), num_discrete_space=2)
    d = make_distribution(space)
    assert isinstance(d, SoftMultiCategorical)
    assert d.sizes == [5, 3] and d.param_size == d.action_size == 8
    params = np.array([[0, 0, 0, 0, np.log(4.0), 0, np.log(2.0), 0]], np.float32)
    # part 1: softmax -> [1,1,1,1,4]/8; part 2 (low 1): 1 + [1,2,1]/4
    want = np.array([[1, 1, 1, 1, 4, 0, 0, 0]]) / 8.0 + np.array([[0, 0, 0, 0, 0, 1.25, 1.5, 1.25]])
    np.testing.assert_allclose(d.mode(tf.constant(params)).numpy(), want, atol=1e-6)
    np.testing.assert_allclose(d.mode_np(params), want, atol=1e-6)
    s = d.sample(tf.constant(np.repeat(params, 10, 0)), seed=tf.constant([1, 1])).numpy()
    np.testing.assert_allclose(s[:, :5].sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(s[:, 5:].sum(1), 3 * 1.0 + 1.0, atol=1e-5)  # low 1 added to 3 entries
    s_np = d.sample_np(np.repeat(params, 10, 0), np.random.default_rng(0))
    np.testing.assert_allclose(s_np[:, :5].sum(1), 1.0, atol=1e-5)


def test_gymnasium_multi_discrete_and_duck_typed_gym_spaces():
    d = make_distribution(gym.spaces.MultiDiscrete([5, 10]))
    assert d.sizes == [5, 10] and list(d.low) == [0, 0]
    Discrete = type("Discrete", (), {})  # an old gym space, recognised by class name
    old = Discrete()
    old.n = 4
    assert make_distribution(old).param_size == 4
    with pytest.raises(ValueError):
        make_distribution(object())


def test_gaussian_halves_and_numpy_mirror():
    d = make_distribution(gym.spaces.Box(-1, 1, (2,)))
    assert isinstance(d, DiagGaussian) and d.param_size == 4 and d.action_size == 2
    params = np.tile(np.array([[1.0, -2.0, np.log(2.0), np.log(0.5)]], np.float32), (20000, 1))
    np.testing.assert_allclose(d.mode(tf.constant(params[:1])).numpy(), [[1.0, -2.0]])
    for s in (d.sample(tf.constant(params), seed=tf.constant([0, 1])).numpy(),
              d.sample_np(params, np.random.default_rng(0))):
        np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.05)
        np.testing.assert_allclose(s.std(0), [2.0, 0.5], atol=0.05)


def test_bernoulli():
    d = make_distribution(gym.spaces.MultiBinary(3))
    assert isinstance(d, Bernoulli) and d.param_size == 3
    params = np.array([[50.0, -50.0, 0.0]], np.float32)
    np.testing.assert_array_equal(d.mode(tf.constant(params)).numpy(), [[1, 0, 0]])  # 0.5 rounds to 0
    many = np.repeat(params, 20000, 0)
    for s in (d.sample(tf.constant(many), seed=tf.constant([5, 5])).numpy(),
              d.sample_np(many, np.random.default_rng(0))):
        assert (s[:, 0] == 1).all() and (s[:, 1] == 0).all()
        assert abs(s[:, 2].mean() - 0.5) < 0.02


def test_soft_sample_matches_tfp_relaxed_one_hot_categorical():
    """The written-out sample has the distribution of TFP's RelaxedOneHotCategorical (temperature 1):
    per-component means and second moments agree on a large sample."""
    import tensorflow_probability as tfp

    logits = tf.constant([[1.5, -0.5, 0.0, 2.0, -1.0]] * 40000)
    ours = SoftCategorical(5).sample(logits, seed=tf.constant([3, 4])).numpy()
    ref = tfp.distributions.RelaxedOneHotCategorical(1.0, logits=logits).sample(seed=(5, 6)).numpy()
    np.testing.assert_allclose(ours.mean(0), ref.mean(0), atol=0.01)
    np.testing.assert_allclose((ours ** 2).mean(0), (ref ** 2).mean(0), atol=0.01)
