"""Issue 18: reading checkpoints. A missing folder says 'no checkpoint found'; a TensorFlow state file
naming a missing checkpoint falls back to the newest complete one, said once, without TF's ERROR lines."""
import os
import pathlib
import re
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import maddpg_tf2
from maddpg_tf2 import checkpoint
from maddpg_tf2.config import Config
from maddpg_tf2.errors import CheckpointError
from maddpg_tf2.learner import Learner

ROOT = pathlib.Path(__file__).resolve().parents[1]


def make_learner(seed):
    return Learner(Config(num_units=8, seed=seed), [3, 4], [gym.spaces.Discrete(5)] * 2)


def test_load_of_a_missing_folder_says_no_checkpoint_found(tmp_path):
    for path in ("/nonexistent", str(tmp_path)):
        with pytest.raises(CheckpointError, match=f"^no checkpoint found in {re.escape(path)}: expected"):
            maddpg_tf2.load(path)


def test_the_package_load_takes_every_argument_of_api_load(monkeypatch):
    """maddpg_tf2.load is the face of api.load: each argument reaches it unchanged."""
    import inspect

    from maddpg_tf2 import api

    names = list(inspect.signature(api.load).parameters)
    assert list(inspect.signature(maddpg_tf2.load).parameters) == names
    seen = {}
    monkeypatch.setattr(api, "load", lambda path, **kw: seen.update(path=path, **kw))
    maddpg_tf2.load(*[f"value of {n}" for n in names])
    assert seen == {n: f"value of {n}" for n in names}


def point_state_file_at(folder, name):
    state = pathlib.Path(folder, "checkpoint")
    text = state.read_text()
    text = re.sub(r'^model_checkpoint_path: ".*"$', f'model_checkpoint_path: "{name}"', text, flags=re.M)
    state.write_text(text + f'all_model_checkpoint_paths: "{name}"\n')


def test_state_file_naming_a_missing_checkpoint_falls_back_to_the_newest_complete(tmp_path, capfd):
    a = make_learner(0)
    for n in range(1, 5):
        a.agents[0].actor.kernels[0].assign(np.full((3, 8), float(n), np.float32))
        checkpoint.save(tmp_path, a, extra={"n": n}, scenario="toy")
    point_state_file_at(tmp_path, "ckpt-7")  # as if ckpt-7 had been deleted by hand
    capfd.readouterr()
    b = make_learner(1)
    assert checkpoint.restore(tmp_path, b, scenario="toy")["n"] == 4
    np.testing.assert_array_equal(b.agents[0].actor.kernels[0].numpy(), np.full((3, 8), 4.0))
    checkpoint.restore(tmp_path, make_learner(2), scenario="toy")  # said once per folder
    err = capfd.readouterr().err
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines == [f"maddpg-train: note: the state file {tmp_path / 'checkpoint'} names ckpt-7, which is missing "
                     f"or incomplete; using ckpt-4, the newest complete checkpoint there"], err
    # ckpt-4 losing a data shard: ckpt-3 is the newest complete one
    os.remove(tmp_path / "ckpt-4.data-00000-of-00001")
    point_state_file_at(tmp_path, "ckpt-4")
    assert checkpoint.restore(tmp_path, make_learner(3), scenario="toy")["n"] == 3
    assert "ERROR" not in capfd.readouterr().err


@pytest.mark.slow  # default suite time; the fallback itself is checked in process by default
def test_benchmark_of_such_a_folder_through_a_process(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat")]))
    train = [sys.executable, str(ROOT / "experiments" / "train.py"), "--save-dir", str(tmp_path / "s"),
             "--plots-dir", str(tmp_path / "p"), "--benchmark-dir", str(tmp_path / "b"), "--exp-name", "e",
             "--max-episode-len", "5", "--batch-size", "8", "--buffer-size", "500", "--num-envs", "1", "--quiet"]
    r = subprocess.run(train + ["--num-episodes", "20", "--save-rate", "5"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # save points at the 5th, 10th, 15th and 20th started episode, and the end of training
    assert sorted(p.name for p in (tmp_path / "s").glob("*.index")) == [f"ckpt-{n}.index" for n in range(1, 6)]
    point_state_file_at(tmp_path / "s", "ckpt-9")
    r = subprocess.run(train + ["--benchmark", "--benchmark-iters", "10"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 0, r.stderr
    assert len(lines) == 1 and "names ckpt-9, which is missing or incomplete; using ckpt-5" in lines[0], r.stderr
