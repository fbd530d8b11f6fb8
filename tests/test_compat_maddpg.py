"""The original's trainer interface (compat/maddpg) driven on fake data."""
import types

import gymnasium as gym
import numpy as np
import pytest

from maddpg.trainer.maddpg import MADDPGAgentTrainer
from maddpg.trainer.replay_buffer import ReplayBuffer

OBS = [(3,), (4,)]


def make_trainers(batch_size=4, max_episode_len=2, local=(False, False)):
    args = types.SimpleNamespace(lr=1e-2, gamma=0.95, batch_size=batch_size, num_units=8,
                                 max_episode_len=max_episode_len)
    spaces = [gym.spaces.Discrete(5), gym.spaces.Discrete(3)]
    return [MADDPGAgentTrainer(f"agent_{i}", None, OBS, spaces, i, args, local_q_func=local[i])
            for i in range(2)]


def test_replay_buffer_ring_and_sampling():
    buf = ReplayBuffer(3)
    for k in range(5):
        buf.add(np.full(2, k), np.full(1, k), float(k), np.full(2, k + 1), k == 4)
    assert len(buf) == 3
    obs, act, rew, obs_next, done = buf.collect()
    assert sorted(rew.tolist()) == [2.0, 3.0, 4.0]  # 0 and 1 overwritten
    np.testing.assert_array_equal(obs_next[:, 0], obs[:, 0] + 1)
    assert done[rew == 4.0].tolist() == [1.0]
    np.random.seed(0)
    assert sorted(buf.make_latest_index(2).tolist()) == [0, 1]  # writes 3 and 4 went to slots 0 and 1
    idx = buf.make_index(100)
    assert idx.min() >= 0 and idx.max() <= 2
    assert buf.sample(7)[0].shape == (7, 2)


def test_update_schedule_and_return_list():
    np.random.seed(1)
    trainers = make_trainers()
    rng = np.random.default_rng(0)
    obs_n = [rng.standard_normal(s) for s in OBS]
    results = {}
    for t in range(1, 201):
        act_n = [tr.action(o) for tr, o in zip(trainers, obs_n)]
        assert act_n[0].shape == (5,) and act_n[1].shape == (3,)
        assert abs(act_n[0].sum() - 1) < 1e-5  # soft categorical sample
        new_obs_n = [rng.standard_normal(s) for s in OBS]
        for i, tr in enumerate(trainers):
            tr.experience(obs_n[i], act_n[i], float(i + 1), new_obs_n[i], False, t % 2 == 0)
        obs_n = new_obs_n
        for tr in trainers:
            tr.preupdate()
        out = [tr.update(trainers, t) for tr in trainers]
        if t < 8:  # fewer than batch_size * max_episode_len = 8 transitions stored
            assert out == [None, None]
        elif t % 100 != 0:
            assert out == [None, None]
        else:
            results[t] = out
    assert sorted(results) == [100, 200]
    for i, res in enumerate(results[100]):
        assert len(res) == 6 and all(np.isfinite(res))
        q_loss, p_loss, target_mean, rew_mean, next_mean, target_std = res
        assert rew_mean == pytest.approx(i + 1)  # constant reward of agent i
        # target = r + gamma * next_q with done = 0 -> mean target = r + 0.95 * mean next_q, std from next_q
        assert target_mean == pytest.approx(rew_mean + 0.95 * next_mean, abs=1e-5)
    assert trainers[0].replay_sample_index is not None


def test_ddpg_flag_gives_local_critic():
    trainers = make_trainers(local=(True, False))
    assert trainers[0].nets.critic.kernels[0].shape.as_list() == [3 + 5, 8]
    assert trainers[1].nets.critic.kernels[0].shape.as_list() == [3 + 4 + 5 + 3, 8]
