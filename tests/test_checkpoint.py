"""Checkpoints: native round trip, import of the original's, clear errors."""
import json
import os
import shutil

import gymnasium as gym
import numpy as np
import pytest

import maddpg_tf2
from maddpg_tf2 import checkpoint
from maddpg_tf2.api import load_with_spaces
from maddpg_tf2.checkpoint import CheckpointError
from maddpg_tf2.config import Config
from maddpg_tf2.learner import Learner
from maddpg_tf2.policy import Policy

OBS, K = [3, 4], 5


def make_learner(seed, num_units=8, obs=OBS):
    return Learner(Config(num_units=num_units, seed=seed), obs, [gym.spaces.Discrete(K)] * len(obs))


class FakeReplay:
    def __init__(self, arrays=None):
        self.arrays = arrays or {}

    def state_dict(self):
        return self.arrays

    def load_state_dict(self, d):
        self.arrays = d


def test_round_trip_weights_optimizer_counters_replay(tmp_path):
    a = make_learner(0)
    rng = np.random.default_rng(0)
    a.agents[0].actor_opt.m[0].assign(np.ones((3, 8), np.float32))
    replay = FakeReplay({"obs": rng.standard_normal((2, 5, 7)).astype(np.float32), "count": np.int64(5)})
    for _ in range(3):  # the manager keeps the last two; rotated sidecars go with them, and older replays
        path = checkpoint.save(tmp_path, a, extra={"progress": {"completed": 7}}, replay=replay,
                               scenario="toy", counters={"train_step": 1234, "episode": 56}, max_to_keep=2)
    assert path.endswith("ckpt-3")
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".npz")) == ["ckpt-3.replay.npz"]
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".meta.json")) == ["ckpt-2.meta.json", "ckpt-3.meta.json"]
    b, restored = make_learner(1), FakeReplay()
    out = checkpoint.restore(tmp_path, b, replay=restored, scenario="toy.py")
    assert out["counters"] == {"train_step": 1234, "episode": 56}
    assert out["progress"] == {"completed": 7} and out["replay_restored"]
    np.testing.assert_array_equal(restored.arrays["obs"], replay.arrays["obs"])
    assert int(restored.arrays["count"]) == 5
    np.testing.assert_array_equal(b.agents[0].actor_opt.m[0].numpy(), np.ones((3, 8)))
    for wa, wb in zip(a.actor_weights(), b.actor_weights()):
        for x, y in zip(wa, wb):
            np.testing.assert_array_equal(x, y)
    obs_n = [rng.standard_normal((4, d)).astype(np.float32) for d in OBS]
    act_a = Policy.from_learner(a).act(obs_n, np.random.default_rng(9))
    act_b = Policy.from_learner(b).act(obs_n, np.random.default_rng(9))
    for x, y in zip(act_a, act_b):
        np.testing.assert_array_equal(x, y)


def test_native_refuses_other_network_size_or_scenario(tmp_path):
    checkpoint.save(tmp_path, make_learner(0), scenario="toy")
    with pytest.raises(CheckpointError, match="num_units differs"):
        checkpoint.restore(tmp_path, make_learner(0, num_units=16), scenario="toy")
    with pytest.raises(CheckpointError, match="scenario differs"):
        checkpoint.restore(tmp_path, make_learner(0), scenario="other")


def test_native_truncated_gives_checkpoint_error(tmp_path):
    checkpoint.save(tmp_path, make_learner(0))
    data = [f for f in os.listdir(tmp_path) if f.startswith("ckpt-1.data")][0]
    with open(tmp_path / data, "r+b") as f:
        f.truncate(100)
    with pytest.raises(CheckpointError, match="could not be read"):
        checkpoint.restore(tmp_path, make_learner(0))


# ----------------------------------------------------------------------------- the original's checkpoint

def original_inputs(data_dir):
    ref = np.load(data_dir / "original_checkpoint_simple" / "reference_outputs.npz")
    act = np.load(data_dir / "traces" / "simple_seed0_soft.npz")["act_0"]
    return ref, act


def check_reference(agents, ref, act):
    np.testing.assert_allclose(agents.logits([ref["obs_0"]])[0], ref["logits_0"], atol=1e-5)
    np.testing.assert_allclose(agents.q_values([ref["obs_0"]], [act])[0], ref["q_0"], atol=1e-5)
    np.testing.assert_allclose(agents.q_values([ref["obs_0"]], [act], target=True)[0], ref["target_q_0"],
                               atol=1e-5)


def test_original_checkpoint_reproduces_reference_outputs(data_dir):
    ref, act = original_inputs(data_dir)
    path = data_dir / "original_checkpoint_simple"
    assert checkpoint.detect_format(path) == "original"
    agents = load_with_spaces(path, [4], [gym.spaces.Discrete(5)], Config(), scenario="simple")
    check_reference(agents, ref, act)
    opt = agents.learner.agents[0].actor_opt
    assert 0 < float(opt.beta1_power.numpy()) < 1e-20  # Adam state came along (many steps taken)
    assert agents.act([ref["obs_0"][:3]])[0].shape == (3, 5)


def test_original_checkpoint_through_maddpg_tf2_load(data_dir):
    pytest.importorskip("maddpg_tf2.envs.make")
    ref, act = original_inputs(data_dir)
    agents = maddpg_tf2.load(data_dir / "original_checkpoint_simple", scenario="simple")
    check_reference(agents, ref, act)


def copy_original(data_dir, tmp_path):
    dst = tmp_path / "orig"
    shutil.copytree(data_dir / "original_checkpoint_simple", dst)
    for f in dst.iterdir():
        os.chmod(f, 0o644)
    return dst


def test_original_wrong_shape_names_variable_and_shapes(data_dir):
    with pytest.raises(CheckpointError) as e:
        checkpoint.restore(data_dir / "original_checkpoint_simple", make_learner(0, num_units=64, obs=[6]))
    msg = str(e.value)
    assert "agent_0/p_func/fully_connected/weights" in msg and "[4, 64]" in msg and "[6, 64]" in msg


def test_original_with_fewer_agents_than_scenario(data_dir):
    with pytest.raises(CheckpointError, match="agent_1/p_func/fully_connected/weights is missing"):
        checkpoint.restore(data_dir / "original_checkpoint_simple", make_learner(0, num_units=64, obs=[4, 4]))


def test_original_truncated_or_missing_data(data_dir, tmp_path):
    d = copy_original(data_dir, tmp_path)
    with open(d / ".data-00000-of-00001", "r+b") as f:
        f.truncate(1000)
    with pytest.raises(CheckpointError, match="damaged|could not be read"):
        checkpoint.restore(d, make_learner(0, num_units=64, obs=[4]))
    os.remove(d / ".data-00000-of-00001")
    with pytest.raises(CheckpointError, match="incomplete"):
        checkpoint.restore(d, make_learner(0, num_units=64, obs=[4]))


def test_foreign_and_empty_folders(tmp_path):
    import tensorflow as tf

    foreign = tmp_path / "foreign"
    # a TF checkpoint whose prefix is the folder (as the original's), holding unrelated variables
    tf.train.Checkpoint(v=tf.Variable(1.0)).write(str(foreign) + "/")
    with pytest.raises(CheckpointError, match="not a MADDPG checkpoint"):
        checkpoint.restore(foreign, make_learner(0))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no checkpoint found"):
        checkpoint.restore(tmp_path / "empty", make_learner(0))
    with pytest.raises(CheckpointError, match="no checkpoint folder"):
        checkpoint.restore(tmp_path / "missing", make_learner(0))
    (tmp_path / "bad").mkdir()
    checkpoint.save(tmp_path / "bad", make_learner(0))
    (tmp_path / "bad" / "ckpt-1.meta.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable checkpoint description .*ckpt-1.meta.json"):
        checkpoint.restore(tmp_path / "bad", make_learner(0))
    # a folder written before the per-checkpoint descriptions: meta.json is read instead
    (tmp_path / "bad" / "ckpt-1.meta.json").unlink()
    (tmp_path / "bad" / "meta.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable checkpoint description .*meta.json"):
        checkpoint.restore(tmp_path / "bad", make_learner(0))


def test_saving_beside_an_original_checkpoint_keeps_its_files(data_dir, tmp_path):
    d = copy_original(data_dir, tmp_path)
    lrn = make_learner(0, num_units=64, obs=[4])
    checkpoint.restore(d, lrn)
    for _ in range(3):
        checkpoint.save(d, lrn, scenario="simple", max_to_keep=1)
    assert (d / ".index").exists() and (d / ".data-00000-of-00001").exists()
    assert checkpoint.detect_format(d) == "native"
    assert json.loads((d / "meta.json").read_text())["obs_dims"] == [4]
