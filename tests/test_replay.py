import numpy as np
import pytest

from maddpg_tf2.replay import Replay


def _step(t, E, dims=(2, 3)):
    """Distinct, recognisable values for step t of every env: obs value = 100*t + 10*e + agent."""
    e = np.arange(E)[:, None]
    obs_n = [np.full((E, d), 0.0) + 100 * t + 10 * e + i for i, d in enumerate(dims)]
    return obs_n


def _fill(rb, E, T, episode_len):
    """Episodes of episode_len steps in E envs; returns the list of stored transitions per env."""
    stored = []
    t_global = 0
    for t in range(T):
        obs_n = _step(t_global, E)
        ep_end = (t + 1) % episode_len == 0
        next_obs_n = _step(t_global + 1, E)
        act_n = [o[:, :1] * 2.0 for o in obs_n]
        rew = np.stack([o[:, 0] for o in obs_n], 1) * -1.0
        done = np.zeros((E, 2), bool)
        rb.add(obs_n, act_n, rew, next_obs_n, done)
        stored.append((obs_n, next_obs_n))
        # after a terminal step, the next episode starts from a fresh (different) observation
        t_global += 2 if ep_end else 1
    return stored


def test_transitions_round_trip_with_next_obs_and_resets():
    rb = Replay(1000, obs_dims=(2, 3), act_dims=(1, 1), num_envs=3, episode_len=5)
    _fill(rb, 3, 12, 5)
    assert len(rb) == 36
    env, row = rb.sample_index((4000,), np.random.default_rng(0))
    batch = rb.gather(env, row)
    obs0, nxt0 = batch["obs_n"][0][:, 0], batch["next_obs_n"][0][:, 0]
    # next observation is always the step after (obs t -> t+1), whatever the episode boundary
    np.testing.assert_allclose(nxt0 - obs0, 100.0)
    np.testing.assert_allclose(batch["act_n"][1][:, 0], 2 * batch["obs_n"][1][:, 0])
    np.testing.assert_allclose(batch["rew"][:, 1], -batch["obs_n"][1][:, 0])
    # every stored transition is reachable, and nothing else (terminal rows are never sampled)
    times = set(np.round((obs0 - 10 * env) / 100).astype(int).tolist())
    expected = set()
    tg = 0
    for t in range(12):
        expected.add(tg)
        tg += 2 if (t + 1) % 5 == 0 else 1
    assert times == expected


def test_fifo_keeps_newest_transitions_and_count_is_capped():
    rb = Replay(20, obs_dims=(2, 3), act_dims=(1, 1), num_envs=1, episode_len=5)
    _fill(rb, 1, 100, 5)
    assert 20 <= len(rb) <= rb.rows_per_env
    env, row = rb.sample_index((5000,), np.random.default_rng(1))
    batch = rb.gather(env, row)
    t = np.round(batch["obs_n"][0][:, 0] / 100).astype(int)
    times, tg = [], 0
    for step in range(100):
        times.append(tg)
        tg += 2 if (step + 1) % 5 == 0 else 1
    # exactly the newest len(rb) transitions remain, oldest evicted first
    assert set(t.tolist()) == set(times[-len(rb):])
    np.testing.assert_allclose(batch["next_obs_n"][0][:, 0] - batch["obs_n"][0][:, 0], 100.0)


def test_sample_shapes_one_batch_per_agent_and_uniformity():
    rb = Replay(1000, obs_dims=(2, 3), act_dims=(1, 1), num_envs=2, episode_len=5)
    _fill(rb, 2, 10, 5)
    batch = rb.sample(64, np.random.default_rng(0))
    assert batch["obs_n"][0].shape == (2, 64, 2) and batch["obs_n"][1].shape == (2, 64, 3)
    assert batch["act_n"][0].shape == (2, 64, 1)
    assert batch["rew"].shape == (2, 64, 2) and batch["done"].shape == (2, 64, 2)
    assert batch["obs_n"][0].dtype == np.float32
    env, row = rb.sample_index((20000,), np.random.default_rng(2))
    counts = np.unique(env * 1000 + row, return_counts=True)[1]
    assert len(counts) == 20  # 2 envs x 10 transitions
    assert counts.min() > 800 and counts.max() < 1200  # ~1000 each: uniform over transitions


def test_done_flags_round_trip():
    rb = Replay(100, obs_dims=(1,) * 9, act_dims=(1,) * 9, num_envs=2)
    obs_n = [np.zeros((2, 1)) + i for i in range(9)]
    done = np.zeros((2, 9), bool)
    done[0, [0, 8]] = True
    done[1, 4] = True
    rb.add(obs_n, obs_n, np.zeros((2, 9)), [o + 1 for o in obs_n], done)
    batch = rb.gather(np.array([0, 1]), np.array([0, 0]))
    np.testing.assert_array_equal(batch["done"], done.astype(np.float32))


def test_state_dict_round_trip_and_layout_check():
    rb = Replay(500, obs_dims=(2, 3), act_dims=(1, 1), num_envs=2, episode_len=5)
    _fill(rb, 2, 17, 5)
    clone = Replay(500, obs_dims=(2, 3), act_dims=(1, 1), num_envs=2, episode_len=5)
    clone.load_state_dict(rb.state_dict())
    assert len(clone) == len(rb)
    a = rb.sample(8, np.random.default_rng(3))
    b = clone.sample(8, np.random.default_rng(3))
    for key in ("rew", "done"):
        np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(a["next_obs_n"][1], b["next_obs_n"][1])
    other = Replay(500, obs_dims=(2, 4), act_dims=(1, 1), num_envs=2, episode_len=5)
    with pytest.raises(ValueError, match="does not fit"):
        other.load_state_dict(rb.state_dict())


def test_full_simple_spread_replay_fits_300_mb():
    rb = Replay(1_000_000, obs_dims=(18, 18, 18), act_dims=(5, 5, 5), num_envs=1, episode_len=25)
    assert rb.nbytes <= 300 * 2**20  # 286.6 MiB: obs stored once, flags bit-packed
