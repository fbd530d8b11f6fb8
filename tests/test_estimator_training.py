"""The training knobs of issue 6 reach the learner and the loop, and the gradient-variance probe.

Each test checks a knob by its effect (an update moves by the learning rate, a loss changes by the
regulariser term, ...) rather than only by the stored field.
"""
import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2.cli import parse_config
from maddpg_tf2.config import Config
from maddpg_tf2.estimators import tags_temperature
from maddpg_tf2.grad_variance import GradVarianceProbe
from maddpg_tf2.kernel import net_vars
from maddpg_tf2.learner import Learner
from maddpg_tf2.policy import Policy

N, B, OBS, K = 2, 32, [3, 4], 5


def make_batch(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "obs_n": [rng.standard_normal((N, B, d)).astype(np.float32) for d in OBS],
        "act_n": [np.eye(K, dtype=np.float32)[rng.integers(0, K, (N, B))] for _ in OBS],
        "rew": rng.standard_normal((N, B, N)).astype(np.float32),
        "next_obs_n": [rng.standard_normal((N, B, d)).astype(np.float32) for d in OBS],
        "done": np.zeros((N, B, N), np.float32),
    }


def make_learner(**kw):
    kw.setdefault("seed", 0)
    return Learner(Config(num_units=8, **kw), OBS, [gym.spaces.Discrete(K)] * N)


def _values(variables):
    return [v.numpy().copy() for v in variables]


def _max_move(before, variables):
    return max(float(np.max(np.abs(v.numpy() - b))) for b, v in zip(before, variables))


def _is_one_hot(x):
    x = np.asarray(x)
    return bool(np.all((x == 0) | (x == 1)) and np.all(x.sum(-1) == 1))


# ----------------------------------------------------------------------------- CLI -> Config

def test_cli_knobs_reach_the_config():
    c = parse_config([
        "--gradient-estimator", "tags", "--gumbel-temp", "0.7", "--rao-k", "3", "--gst-gap", "2",
        "--tags-start", "4", "--tags-end", "0.25", "--tags-period", "50", "--log-grad-variance",
        "--log-grad-variance-interval", "7", "--actor-lr", "0.002", "--critic-lr", "0.003",
        "--policy-regulariser", "0.05", "--gradient-clip", "2.5", "--soft-update-size", "0.2",
        "--standardise-rewards", "--warmup-episodes", "9", "--train-repeats", "4"])
    assert (c.gradient_estimator, c.gumbel_temp, c.rao_k, c.gst_gap) == ("tags", 0.7, 3, 2.0)
    assert (c.tags_start, c.tags_end, c.tags_period) == (4.0, 0.25, 50)
    assert c.log_grad_variance and c.log_grad_variance_interval == 7
    assert (c.actor_learning_rate, c.critic_learning_rate) == (0.002, 0.003)
    assert (c.policy_regulariser, c.grad_clip, c.tau) == (0.05, 2.5, 0.2)
    assert c.standardise_rewards and c.warmup_episodes == 9 and c.train_repeats == 4
    # the learner takes its update settings from those fields
    s = make_learner(policy_regulariser=c.policy_regulariser, grad_clip=c.grad_clip, tau=c.tau,
                     standardise_rewards=True).settings
    assert (s.policy_regulariser, s.grad_clip, s.tau, s.standardise_rewards) == (0.05, 2.5, 0.2, True)
    # a clip <= 0 turns clipping off; without --actor-lr/--critic-lr both follow --lr
    c = parse_config(["--gradient-clip", "0", "--lr", "0.03"])
    assert c.grad_clip is None and c.actor_learning_rate == c.critic_learning_rate == 0.03


# ----------------------------------------------------------------------------- learner

def test_actor_and_critic_learning_rates_are_separate():
    # TF1 Adam's first step moves every parameter by lr * sign(g) (up to eps): the largest move of
    # each network is its own learning rate.
    lrn = make_learner(actor_lr=1e-2, critic_lr=1e-4)
    a = lrn.agents[0]
    actor0, critic0 = _values(net_vars(a.actor)), _values(net_vars(a.critic))
    lrn.train_step(make_batch())
    assert _max_move(actor0, net_vars(a.actor)) == pytest.approx(1e-2, rel=1e-3)
    assert _max_move(critic0, net_vars(a.critic)) == pytest.approx(1e-4, rel=1e-3)


def test_policy_regulariser_weight_enters_the_actor_loss():
    # Same seed, same batch: the critic step and the sampled action are identical, so agent 0's actor
    # losses differ by exactly (w1 - w0) * mean(actor_0(obs)^2) at the initial weights.
    batch = make_batch(1)
    l0, l1 = make_learner(policy_regulariser=0.0), make_learner(policy_regulariser=0.5)
    params = l0.agents[0].actor(tf.constant(batch["obs_n"][0][0])).numpy()
    m0, m1 = l0.train_step(batch), l1.train_step(batch)
    assert float(m1["loss/actor_0"]) - float(m0["loss/actor_0"]) == pytest.approx(
        0.5 * np.mean(params ** 2), rel=1e-4)


def test_gradient_clip_bounds_the_step():
    # A clip of 1e-12 leaves Adam a gradient far below its eps (1e-8): the step all but vanishes.
    lrn, free = make_learner(grad_clip=1e-12), make_learner(grad_clip=None)
    a, b = lrn.agents[0], free.agents[0]
    before_a, before_b = _values(net_vars(a.critic)), _values(net_vars(b.critic))
    lrn.train_step(make_batch())
    free.train_step(make_batch())
    assert _max_move(before_a, net_vars(a.critic)) < 1e-5 * lrn.config.lr
    assert _max_move(before_b, net_vars(b.critic)) == pytest.approx(free.config.lr, rel=1e-3)


def test_soft_update_size_sets_the_polyak_step():
    lrn = make_learner(tau=0.25)
    a = lrn.agents[1]
    old = _values(net_vars(a.target_critic))
    lrn.train_step(make_batch())
    for t, o, v in zip(net_vars(a.target_critic), old, net_vars(a.critic)):
        np.testing.assert_allclose(t.numpy(), 0.75 * o + 0.25 * v.numpy(), atol=1e-6)


def test_tags_temperature_follows_the_schedule_round_by_round():
    lrn = make_learner(gradient_estimator="tags", tags_start=5.0, tags_end=0.5, tags_period=4)
    seen = tf.Variable(-1.0)
    dist = lrn.agents[0].dist
    original = dist.sample

    def spy(params, seed=None, temperature=None):
        seen.assign(tf.cast(temperature, tf.float32))  # the value the estimator is called with
        return original(params, seed, temperature)

    dist.sample = spy  # patched before the first call, so the traced step contains the spy
    for k in range(6):
        lrn.train_step(make_batch(k))
        assert float(seen.numpy()) == pytest.approx(tags_temperature(k, 5.0, 0.5, 4), rel=1e-5)
    assert float(seen.numpy()) == pytest.approx(0.5)  # held at the end after the period


@pytest.mark.parametrize("name", ["stgs", "grmck", "gst", "tags"])
def test_one_hot_estimators_act_one_hot(name):
    lrn = make_learner(gradient_estimator=name, rao_k=3)
    assert all(d.one_hot for d in lrn.dists)
    policy = Policy.from_learner(lrn)
    rng = np.random.default_rng(0)
    obs_n = [rng.standard_normal((64, d)).astype(np.float32) for d in OBS]
    assert all(_is_one_hot(a) for a in policy.act(obs_n, rng))
    assert all(_is_one_hot(a) for a in policy.act(obs_n, rng, deterministic=True))
    # the train step's own samples are one-hot too (they are what the critic sees)
    params = lrn.agents[0].actor(tf.constant(obs_n[0]))
    assert _is_one_hot(lrn.dists[0].sample(params, tf.constant([1, 2])).numpy())


def test_random_actions_uniform_one_hot_or_soft():
    rng = np.random.default_rng(0)
    hard = Policy.from_learner(make_learner(gradient_estimator="stgs")).random_actions(20000, rng)
    assert all(_is_one_hot(a) for a in hard)
    freq = hard[0].mean(axis=0)  # uniform over the K actions
    np.testing.assert_allclose(freq, np.full(K, 1.0 / K), atol=0.015)
    # gumbel (original): a soft sample of zero logits, a point of the simplex, uniform on average
    soft = Policy.from_learner(make_learner()).random_actions(20000, rng)
    assert not _is_one_hot(soft[0])
    np.testing.assert_allclose(soft[0].sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(soft[0].mean(axis=0), np.full(K, 1.0 / K), atol=0.015)


# ----------------------------------------------------------------------------- the loop

def _tiny_trainer(tmp_path, name, **kw):
    from maddpg_tf2.loop import Trainer, _seed_everything

    base = dict(scenario="simple_speaker_listener", num_units=8, batch_size=16, buffer_size=5000,
                save_rate=10, quiet=True, seed=0, plots_dir=str(tmp_path), exp_name=name,
                save_dir=str(tmp_path / f"ckpt_{name}") + "/")
    base.update(kw)
    _seed_everything(base["seed"])
    return Trainer(Config(**base))


def test_warmup_episodes_act_randomly_then_the_policy_acts(tmp_path):
    t = _tiny_trainer(tmp_path, "warm", num_episodes=4, warmup_episodes=2, num_envs=1,
                      gradient_estimator="stgs")
    calls = []
    random_actions, act = t.policy.random_actions, t.policy.act
    t.policy.random_actions = lambda *a, **k: calls.append("random") or random_actions(*a, **k)
    t.policy.act = lambda *a, **k: calls.append("policy") or act(*a, **k)
    t.train()
    # 2 episodes of 25 random steps, then the policy for the rest
    assert calls == ["random"] * 50 + ["policy"] * 50


def test_replay_stores_one_hot_actions_and_train_repeats_multiply_rounds(tmp_path):
    rounds = {}
    for repeats in (1, 3):
        t = _tiny_trainer(tmp_path, f"rep{repeats}", num_episodes=40, num_envs=4,
                          gradient_estimator="gst", train_repeats=repeats)
        t.train()
        rounds[repeats] = t.progress.update_rounds
        act_n = t.replay.sample(200, np.random.default_rng(0))["act_n"]
        assert all(_is_one_hot(a) for a in act_n)
    assert rounds[1] > 0 and rounds[3] == 3 * rounds[1]


# ----------------------------------------------------------------------------- gradient variance

def test_grad_variance_is_finite_and_positive_for_gumbel_and_stgs():
    batch = make_batch(2)
    out = {}
    for name in ("gumbel", "stgs"):
        out[name] = GradVarianceProbe(make_learner(gradient_estimator=name), draws=8, seed=0)(batch)
        assert sorted(out[name]) == sorted(f"grad_var/{kind}_{i}" for kind in ("elementwise", "norm")
                                           for i in range(N))
        for v in out[name].values():
            assert np.isfinite(v) and v > 0
        # norm variance is the trace: P times the per-parameter mean
        p = sum(int(np.prod(v.shape)) for v in net_vars(make_learner().agents[0].actor))
        assert out[name]["grad_var/norm_0"] == pytest.approx(p * out[name]["grad_var/elementwise_0"], rel=1e-4)


def test_grad_variance_of_a_deterministic_sample_is_zero():
    lrn = make_learner(gradient_estimator="stgs")
    for a in lrn.agents:
        # no noise at all: every draw gives the same gradient
        a.dist.sample = lambda params, seed=None, temperature=None: tf.nn.softmax(params)
    out = GradVarianceProbe(lrn, draws=4, seed=0)(make_batch(3))
    noisy = GradVarianceProbe(make_learner(gradient_estimator="stgs"), draws=4, seed=0)(make_batch(3))
    for k, v in out.items():
        assert v == pytest.approx(0.0, abs=1e-6 * noisy[k])


def test_grad_variance_rejects_a_single_draw():
    with pytest.raises(ValueError):
        GradVarianceProbe(make_learner(), draws=1)


def test_loop_logs_grad_variance_to_the_metrics_csv_without_changing_training(tmp_path):
    import csv

    runs = {}
    for log in (False, True):
        t = _tiny_trainer(tmp_path, f"gv{int(log)}", num_episodes=40, num_envs=4, gradient_estimator="stgs",
                          log_grad_variance=log, log_grad_variance_interval=2, grad_variance_draws=3)
        t.train()
        runs[log] = t
    with open(tmp_path / "gv1_metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["name"].startswith("grad_var/")]
    rounds = runs[True].progress.update_rounds
    assert rounds >= 2
    names = {r["name"] for r in rows}
    assert names == {f"grad_var/{k}_{i}" for k in ("elementwise", "norm") for i in range(2)}
    assert len(rows) == 4 * (rounds // 2)
    assert all(np.isfinite(float(r["value"])) and float(r["value"]) > 0 for r in rows)
    with open(tmp_path / "gv0_metrics.csv") as f:
        assert not any(r["name"].startswith("grad_var/") for r in csv.DictReader(f))
    # the probe has its own seeds: the trained weights are those of the run without it
    for w0, w1 in zip(runs[False].learner.actor_weights(), runs[True].learner.actor_weights()):
        for a, b in zip(w0, w1):
            np.testing.assert_array_equal(a, b)
