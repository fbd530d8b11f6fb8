"""Learner: losses and updates against hand-computed numbers; one compiled train step."""
import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.kernel import Adam, actor_loss, clip_per_variable, critic_loss, critic_target, polyak_update
from maddpg_tf2.learner import Learner
from maddpg_tf2.networks import MLP, mlp_forward_np


def test_critic_target_and_loss_by_hand():
    y = critic_target(tf.constant([1.0, 1.0]), tf.constant([0.0, 1.0]), tf.constant([2.0, 2.0]), 0.5)
    np.testing.assert_allclose(y.numpy(), [2.0, 1.0])  # done cuts the bootstrap
    # ((1-0)^2 + (2-2)^2 + (3-5)^2) / 3
    assert critic_loss(tf.constant([1.0, 2.0, 3.0]), tf.constant([0.0, 2.0, 5.0])).numpy() == pytest.approx(5 / 3)


def test_actor_loss_with_regulariser_by_hand():
    q = tf.constant([1.0, 3.0])
    params = tf.constant([[1.0, -1.0], [2.0, 0.0]])
    # -mean(q) + 0.1 * mean(1, 1, 4, 0) = -2 + 0.15
    assert actor_loss(q, params, 0.1).numpy() == pytest.approx(-1.85)


def test_clip_is_per_variable_not_global():
    g = clip_per_variable([tf.constant([3.0, 4.0]), tf.constant([0.1, 0.0]), None], 0.5)
    np.testing.assert_allclose(g[0].numpy(), [0.3, 0.4], rtol=1e-6)
    np.testing.assert_allclose(g[1].numpy(), [0.1, 0.0])  # untouched: not scaled by a global norm
    assert g[2] is None
    assert clip_per_variable([tf.constant([3.0, 4.0])], None)[0].numpy().tolist() == [3.0, 4.0]


def test_polyak_update():
    online, target = [tf.Variable([1.0, 2.0])], [tf.Variable([0.0, 4.0])]
    polyak_update(online, target, 0.01)
    np.testing.assert_allclose(target[0].numpy(), [0.01, 0.99 * 4 + 0.02], rtol=1e-6)


def test_mlp_with_constant_weights():
    net = MLP(2, 1, num_units=2)
    for v in net.kernels:
        v.assign(tf.fill(v.shape, 0.5))
    net.biases[2].assign([0.25])
    x = np.array([[1.0, 1.0], [-1.0, -1.0]], np.float32)
    # h1 = relu(0.5 + 0.5) = [1, 1]; h2 = relu(0.5 + 0.5) = [1, 1]; out = 1 + 0.25. Negative input: relu -> 0.
    np.testing.assert_allclose(net(x).numpy(), [[1.25], [0.25]])
    np.testing.assert_allclose(mlp_forward_np(net.get_numpy(), x), [[1.25], [0.25]])
    assert [v.shape.as_list() for v in net.variables_in_order] == [[2, 2], [2], [2, 2], [2], [2, 1], [1]]


def test_adam_first_step_moves_by_lr_like_tf1():
    var = tf.Variable([1.0, -1.0])
    opt = Adam([var], lr=0.1)
    opt.apply([tf.constant([2.0, -0.5])], [var])
    # m = 0.1 g, v = 0.001 g^2, lr_t = 0.1 sqrt(0.001) / 0.1: the step is lr * sign(g) (up to eps)
    np.testing.assert_allclose(var.numpy(), [0.9, -0.9], atol=1e-5)
    assert opt.beta1_power.numpy() == pytest.approx(0.81)
    assert opt.beta2_power.numpy() == pytest.approx(0.999 ** 2)


# ----------------------------------------------------------------------------- the compiled step

N, B, OBS, K = 2, 16, [3, 4], 5


def make_batch(seed=0, done=0.0):
    rng = np.random.default_rng(seed)
    return {
        "obs_n": [rng.standard_normal((N, B, d)).astype(np.float32) for d in OBS],
        "act_n": [rng.dirichlet(np.ones(K), (N, B)).astype(np.float32) for _ in OBS],
        "rew": rng.standard_normal((N, B, N)).astype(np.float32),
        "next_obs_n": [rng.standard_normal((N, B, d)).astype(np.float32) for d in OBS],
        "done": np.full((N, B, N), done, np.float32),
    }


def make_learner(seed=0, **kw):
    config = Config(num_units=8, seed=seed, **kw)
    return Learner(config, OBS, [gym.spaces.Discrete(K)] * N)


@pytest.fixture(scope="module")
def learner():
    return make_learner(gamma=0.0, lr=1e-2)


def test_metric_keys(learner):
    m = learner.train_step(make_batch())
    names = ["loss/critic", "loss/actor", "q/target_mean", "reward/mean", "q/next_target_mean", "q/target_std"]
    assert sorted(m) == sorted(f"{k}_{i}" for k in names for i in range(N))
    batch = make_batch()
    # reward/mean_i is column i of agent i's own batch
    assert float(m["reward/mean_1"]) == pytest.approx(batch["rew"][1][:, 1].mean(), rel=1e-5)
    # gamma = 0: the target is the reward itself
    assert float(m["q/target_mean_0"]) == pytest.approx(batch["rew"][0][:, 0].mean(), rel=1e-5)


def test_train_step_lowers_the_critic_loss(learner):
    batch = make_batch(1)
    first = [float(learner.train_step(batch)["loss/critic_0"])]
    for _ in range(40):
        last = float(learner.train_step(batch)["loss/critic_0"])
    assert last < 0.5 * first[0]


def test_targets_move_by_polyak_after_the_update():
    lrn = make_learner(tau=0.5)
    a = lrn.agents[0]
    old_target = [v.numpy() for v in a.target_actor.variables_in_order]
    lrn.train_step(make_batch(2))
    new_online = [v.numpy() for v in a.actor.variables_in_order]
    for t, o, n in zip(a.target_actor.variables_in_order, old_target, new_online):
        np.testing.assert_allclose(t.numpy(), 0.5 * o + 0.5 * n, atol=1e-6)
    assert int(lrn.update_rounds.numpy()) == 1


def test_same_seed_same_result_and_target_init():
    l1, l2 = make_learner(seed=3), make_learner(seed=3)
    m1, m2 = l1.train_step(make_batch()), l2.train_step(make_batch())
    assert {k: float(v) for k, v in m1.items()} == {k: float(v) for k, v in m2.items()}
    for w1, w2 in zip(l1.actor_weights()[1], l2.actor_weights()[1]):
        np.testing.assert_array_equal(w1, w2)
    # independent targets (original) differ from the online nets; 'copy' starts them equal
    a = make_learner(seed=3).agents[0]
    assert not np.allclose(a.actor.kernels[0].numpy(), a.target_actor.kernels[0].numpy())
    c = Learner(Config(num_units=8, seed=3, target_init="copy"), OBS, [gym.spaces.Discrete(K)] * N).agents[0]
    np.testing.assert_array_equal(c.critic.kernels[0].numpy(), c.target_critic.kernels[0].numpy())


def test_ddpg_critic_is_local_and_maddpg_central():
    lrn = Learner(Config(num_units=8, seed=0, num_adversaries=1, adv_policy="ddpg"), OBS,
                  [gym.spaces.Discrete(K)] * N)
    assert lrn.local_q_n == [True, False]
    assert lrn.agents[0].critic.kernels[0].shape.as_list() == [OBS[0] + K, 8]
    assert lrn.agents[1].critic.kernels[0].shape.as_list() == [sum(OBS) + N * K, 8]


def test_standardised_rewards_centre_the_target():
    lrn = make_learner(gamma=0.0, standardise_rewards=True)
    m = lrn.train_step(make_batch(4))
    assert abs(float(m["q/target_mean_0"])) < 1e-5
    assert float(m["q/target_std_0"]) == pytest.approx(1.0, abs=1e-3)


def test_joint_batch_gives_the_same_round_as_per_agent_lists():
    """The replay's joint obs/act/next_obs arrays (sliced in the graph) and the per-agent lists
    (concatenated in the graph) are the same batch: same metrics, same weights after the round."""
    lists = make_batch(5)
    joint = dict(lists, **{k: np.concatenate(lists[f"{k}_n"], axis=-1) for k in ("obs", "act", "next_obs")})
    joint = {k: v for k, v in joint.items() if not k.endswith("_n")}
    l1, l2 = make_learner(seed=7), make_learner(seed=7)
    m1, m2 = l1.train_step(lists), l2.train_step(joint)
    assert m1.keys() == m2.keys()
    for k in m1:
        np.testing.assert_allclose(float(m1[k]), float(m2[k]), rtol=1e-6, err_msg=k)
    for a1, a2 in zip(l1.agents, l2.agents):
        for v1, v2 in zip(a1.target_critic.variables_in_order, a2.target_critic.variables_in_order):
            np.testing.assert_allclose(v1.numpy(), v2.numpy(), rtol=1e-6, atol=1e-7)


def test_columns_are_each_agents_block():
    from maddpg_tf2.kernel import columns
    act = tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    assert [c.numpy().tolist() for c in columns(act, [2, 3, 1])] == [[[1, 2]], [[3, 4, 5]], [[6]]]


@pytest.mark.parametrize("jit", [False, True])
def test_train_step_returns_the_actors_it_left(jit):
    """last_actor_weights (returned by the train step itself) are the updated actors, not a read
    from before the round's writes (with and without XLA)."""
    lrn = make_learner(seed=2, jit_compile=jit)
    before = lrn.actor_weights()
    lrn.train_step(make_batch(6))
    after = lrn.actor_weights()
    for ts, ws, old in zip(lrn.last_actor_weights, after, before):
        for t, w in zip(ts, ws):
            np.testing.assert_array_equal(t.numpy(), w)
    assert not np.array_equal(after[0][0], before[0][0])
