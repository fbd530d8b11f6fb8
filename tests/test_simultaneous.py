"""Simultaneous agent updates (issue 11): the batched step equals N independent update_agent calls
from the same pre-round weights, differs from the sequential order where it must, handles agents of
different shapes, and keeps the per-agent checkpoint layout."""
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2 import checkpoint
from maddpg_tf2 import simultaneous as sim
from maddpg_tf2.config import Config
from maddpg_tf2.kernel import columns
from maddpg_tf2.learner import Learner
from maddpg_tf2.sequential import update_agent

B = 32


def make_learner(obs_dims, ks, agent_updates="simultaneous", local_q_n=None, seed=0, **kw):
    config = Config(num_units=8, seed=seed, agent_updates=agent_updates, **kw)
    space = lambda k: k if isinstance(k, gym.Space) else gym.spaces.Discrete(k)
    return Learner(config, obs_dims, [space(k) for k in ks], local_q_n=local_q_n)


def joint_batch(lrn, seed=1):
    rng = np.random.default_rng(seed)
    n, do, da = lrn.n, sum(lrn.obs_dims), sum(lrn.act_dims)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    return {"obs": f(n, B, do), "act": rng.random((n, B, da)).astype(np.float32), "next_obs": f(n, B, do),
            "rew": f(n, B, n), "done": (rng.random((n, B, n)) < 0.2).astype(np.float32)}


def state_np(lrn):
    return [sim.state_to_numpy(s) for s in sim.read_state(lrn.agents)]


def set_state(lrn, states):
    sim.write_state(lrn.agents, {i: tf.nest.map_structure(tf.constant, s) for i, s in enumerate(states)})


def agent_batch(lrn, batch, i):
    obs, act, next_obs = (tf.constant(batch[k][i]) for k in ("obs", "act", "next_obs"))
    return {"obs": obs, "next_obs": next_obs, "obs_n": columns(obs, lrn.obs_dims),
            "act_n": columns(act, lrn.act_dims), "next_obs_n": columns(next_obs, lrn.obs_dims),
            "rew": tf.constant(batch["rew"][i][:, i]), "done": tf.constant(batch["done"][i][:, i])}


def seed_feed(seeds, i):
    """update_agent's next_seed for agent i: seeds[i, 0..N] in the order it draws them."""
    it = iter(tf.unstack(tf.constant(seeds[i])))
    return lambda: next(it)


def reference(make, pre, batch, seeds, sequential=False):
    """update_agent per agent: from the same pre-round state (simultaneous) or one after another."""
    ref = make()
    set_state(ref, pre)
    out = []
    for i in range(ref.n):
        if not sequential:
            set_state(ref, pre)
        update_agent(i, ref.agents, agent_batch(ref, batch, i), ref.settings, seed_feed(seeds, i),
                     ref.temperature())
        out.append(state_np(ref)[i])
    return out


def assert_states_close(a, b, atol=1e-5):
    for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
        np.testing.assert_allclose(x, y, atol=atol, rtol=1e-5)


def batched(lrn, batch, seeds, subset=None, stack=True):
    subset = range(lrn.n) if subset is None else subset
    new, metrics = sim.simultaneous_update(sim.agent_specs(lrn.agents), sim.read_state(lrn.agents), batch,
                                           subset, lrn.settings, tf.constant(seeds), lrn.temperature(),
                                           stack=stack)
    return {i: sim.state_to_numpy(s) for i, s in new.items()}, metrics


SHAPES = {
    "same": ([6, 6, 6], [5, 5, 5], None),                       # simple_spread-like: one stack
    "speaker_listener": ([3, 11], [3, 5], None),                 # two singletons
    "ddpg_adversary": ([8, 10, 10], [5, 5, 5], [True, False, False]),  # local critic + a pair
    "non_adjacent": ([6, 4, 6], [5, 2, 5], None),                # agents 0 and 2 stacked around 1
    # Samplers other than the stacked soft categorical: Gaussian and multi-discrete agents.
    "box_multi_discrete": ([5, 5, 7], [gym.spaces.Box(-1, 1, (2,)), gym.spaces.Box(-1, 1, (2,)),
                                       gym.spaces.MultiDiscrete([3, 2])], None),
}


# Settings on the "same" shapes: a straight-through estimator instead of the soft sample (the
# per-agent sampling path), TAGS' scheduled temperature, standardised rewards, no clipping.
SETTINGS = {"estimator": {"gradient_estimator": "stgs"}, "tags": {"gradient_estimator": "tags"},
            "standardise": {"standardise_rewards": True}, "no_clip": {"grad_clip": None}}


@pytest.mark.parametrize("shape", sorted(SHAPES) + sorted(SETTINGS))
def test_batched_step_equals_independent_updates(shape):
    obs_dims, ks, local_q = SHAPES.get(shape, SHAPES["same"])
    kw = SETTINGS.get(shape, {})
    make = lambda: make_learner(obs_dims, ks, local_q_n=local_q, **kw)
    lrn = make()
    n = lrn.n
    batch = joint_batch(lrn)
    seeds = np.random.default_rng(3).integers(0, 2 ** 30, size=(n, n + 1, 2)).astype(np.int32)
    # Non-trivial Adam slots and beta powers first.
    set_state(lrn, [s for _, s in sorted(batched(lrn, joint_batch(lrn, seed=7), seeds)[0].items())])
    pre = state_np(lrn)
    new, metrics = batched(lrn, batch, seeds)
    want = reference(make, pre, batch, seeds)
    for i in range(n):
        assert_states_close(new[i], want[i])
    # The pure function leaves the variables alone, and a subset gets the same numbers.
    assert_states_close(state_np(lrn), pre, atol=0)
    part, _ = batched(lrn, batch, seeds, subset=[n - 1])
    assert list(part) == [n - 1]
    assert_states_close(part[n - 1], new[n - 1], atol=1e-6)
    # The subset's batches alone (what a learner that owns agents 0 and n-1 receives).
    own = {k: v[[0, n - 1]] for k, v in batch.items()}
    part, _ = batched(lrn, own, seeds, subset=[0, n - 1])
    for i in (0, n - 1):
        assert_states_close(part[i], new[i], atol=1e-6)
    # Every agent as its own chain of plain ops: the same numbers.
    each, _ = batched(lrn, batch, seeds, stack=False)
    for i in range(n):
        assert_states_close(each[i], new[i], atol=1e-6)
    assert set(metrics) == {f"{m}_{i}" for m in ("loss/critic", "loss/actor", "q/target_mean", "reward/mean",
                                                  "q/next_target_mean", "q/target_std") for i in range(n)}


def test_differs_from_sequential_where_it_must():
    obs_dims, ks, _ = SHAPES["same"]
    make = lambda: make_learner(obs_dims, ks, tau=0.5)
    lrn = make()
    batch, pre = joint_batch(lrn), state_np(lrn)
    seeds = np.random.default_rng(3).integers(0, 2 ** 30, size=(3, 4, 2)).astype(np.int32)
    new, _ = batched(lrn, batch, seeds)
    seq = reference(make, pre, batch, seeds, sequential=True)
    assert_states_close(new[0], seq[0])  # agent 0 sees the same weights in both orders
    # Agent 1's critic target uses agent 0's moved target actor under the sequential order.
    diff = max(np.abs(a - b).max() for a, b in zip(new[1]["critic"], seq[1]["critic"]))
    assert diff > 1e-4


def test_train_step_writes_back_and_refreshes_actors():
    lrn = make_learner([6, 6, 6], [5, 5, 5], seed=4)
    batch = joint_batch(lrn)
    pre = state_np(lrn)
    seeds = tf.random.Generator.from_seed(4).uniform_full_int([3, 4, 2], dtype=tf.int32).numpy()
    want, _ = batched(lrn, batch, seeds)
    lrn.train_step(batch)
    got = state_np(lrn)
    for i in range(3):
        assert_states_close(got[i], want[i])
        np.testing.assert_allclose(got[i]["actor_beta1_power"], pre[i]["actor_beta1_power"] * 0.9, rtol=1e-6)
        for w, t in zip(got[i]["actor"], lrn.last_actor_weights[i]):
            np.testing.assert_array_equal(w, t.numpy())
    assert int(lrn.update_rounds.numpy()) == 1
    # The per-agent batch format gives the same round.
    other = make_learner([6, 6, 6], [5, 5, 5], seed=4)
    per_agent = {"obs_n": [batch["obs"][:, :, a:b] for a, b in ((0, 6), (6, 12), (12, 18))],
                 "act_n": [batch["act"][:, :, a:b] for a, b in ((0, 5), (5, 10), (10, 15))],
                 "next_obs_n": [batch["next_obs"][:, :, a:b] for a, b in ((0, 6), (6, 12), (12, 18))],
                 "rew": batch["rew"], "done": batch["done"]}
    other.train_step(per_agent)
    assert_states_close(state_np(other), got, atol=1e-6)


def test_checkpoint_round_trip_and_switching_modes(tmp_path):
    shapes = dict(obs_dims=[8, 10, 10], ks=[5, 5, 5], local_q_n=[True, False, False])
    lrn = make_learner(**shapes, seed=1)
    batch = joint_batch(lrn)
    seeds = np.random.default_rng(3).integers(0, 2 ** 30, size=(3, 4, 2)).astype(np.int32)
    set_state(lrn, [s for _, s in sorted(batched(lrn, batch, seeds)[0].items())])
    checkpoint.save(str(tmp_path / "sim"), lrn)
    saved = state_np(lrn)
    for mode in ("simultaneous", "sequential"):
        back = make_learner(**shapes, agent_updates=mode, seed=9)
        checkpoint.restore(str(tmp_path / "sim"), back)
        assert_states_close(state_np(back), saved, atol=0)
        back.train_step(batch)  # both modes continue from the simultaneous state
        after = state_np(back)
        assert all(np.isfinite(x).all() for x in tf.nest.flatten(after))
        if mode == "sequential":
            # ... and a checkpoint of the sequential run continues as a simultaneous update.
            checkpoint.save(str(tmp_path / "seq"), back)
            again = make_learner(**shapes, seed=5)
            checkpoint.restore(str(tmp_path / "seq"), again)
            assert_states_close(state_np(again), after, atol=0)
            new, _ = batched(again, batch, seeds)
            assert not np.allclose(new[1]["critic"][0], after[1]["critic"][0])


@pytest.mark.slow  # default suite time; the in-process simultaneous tests and the checkpoint round trip run by default
def test_cli_run_simultaneous(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.path.join(root, "compat")]))
    cmd = [sys.executable, "-m", "maddpg_tf2.cli", "--scenario", "simple_spread", "--agent-updates",
           "simultaneous", "--num-episodes", "40", "--batch-size", "64", "--num-units", "8",
           "--num-envs", "8", "--save-rate", "20", "--seed", "0", "--quiet", "--exp-name", "sim",
           "--save-dir", str(tmp_path / "ckpt"), "--plots-dir", str(tmp_path / "curves")]
    out = subprocess.run(cmd + ["--max-episode-len", "5"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "steps: 200" in out.stdout and (tmp_path / "curves" / "sim_rewards.pkl").exists()
    # The run continues under the original order from its checkpoint.
    cont = [a if a != "simultaneous" else "sequential" for a in cmd]
    cont[cont.index("--num-episodes") + 1] = "60"
    out = subprocess.run(cont + ["--max-episode-len", "5", "--restore"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "episodes: 60" in out.stdout and "episodes: 40" not in out.stdout
    bad = subprocess.run(cmd + ["--agent-updates", "batched"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode != 0 and "--agent-updates" in bad.stderr
