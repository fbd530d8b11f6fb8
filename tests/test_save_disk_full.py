"""Issue 18: a save that fails for lack of space is one line; the previous checkpoint stays the
latest and loads; the failed save leaves no files behind, nor does a later save that succeeds."""
import errno
import os
import pathlib
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2 import checkpoint, fileio
from maddpg_tf2.config import Config
from maddpg_tf2.errors import SaveError, UserError
from maddpg_tf2.learner import Learner

ROOT = pathlib.Path(__file__).resolve().parents[1]


def make_learner(seed):
    return Learner(Config(num_units=8, seed=seed), [3, 4], [gym.spaces.Discrete(5)] * 2)


def files(folder):
    return sorted(os.listdir(folder))


def full_disk_in_tensorflow(monkeypatch):
    """TensorFlow's writer runs out of space midway: its shard folder and a partial index exist."""
    real = tf.train.CheckpointManager.save

    def save(self, checkpoint_number=None, **kw):
        stem = os.path.join(self.directory, f"ckpt-{checkpoint_number}")
        os.makedirs(stem + "_temp", exist_ok=True)
        pathlib.Path(stem + "_temp", "part-00000-of-00001.data-00000-of-00001").write_bytes(b"x" * 100)
        pathlib.Path(stem + ".index").write_bytes(b"partial")
        raise tf.errors.ResourceExhaustedError(None, None, f"{stem}_temp/part-00000; No space left on device")

    monkeypatch.setattr(tf.train.CheckpointManager, "save", save)
    return real


@pytest.mark.parametrize("where", ["tensorflow", "sidecar"])
def test_disk_full_keeps_the_previous_checkpoint_and_leaves_no_debris(where, tmp_path, monkeypatch):
    a = make_learner(0)
    checkpoint.save(tmp_path, a, extra={"n": 1}, scenario="toy")
    before = files(tmp_path)
    saved = [w.copy() for w in a.actor_weights()[0]]
    a.agents[0].actor.kernels[0].assign(a.agents[0].actor.kernels[0] + 1.0)  # trained further
    if where == "tensorflow":
        full_disk_in_tensorflow(monkeypatch)
    else:  # the extra.json sidecar (written before the tensors) finds the disk full
        real_write = fileio.write_text

        def write_text(path, text):
            if path.endswith(".extra.json"):
                with fileio.atomic_path(path) as tmp:
                    pathlib.Path(tmp).write_text(text[:10])
                    raise OSError(errno.ENOSPC, "No space left on device", tmp)
            real_write(path, text)

        monkeypatch.setattr(fileio, "write_text", write_text)
    with pytest.raises(SaveError) as e:
        checkpoint.save(tmp_path, a, extra={"n": 2}, scenario="toy")
    assert isinstance(e.value, UserError)
    text = str(e.value)
    assert "\n" not in text and text.startswith(f"no space left on the device of {tmp_path} to save the checkpoint")
    assert "it needs about" in text and "the previous checkpoint (ckpt-1) is intact and still the latest" in text
    assert files(tmp_path) == before  # no ckpt-2.*, no ckpt-2_temp, no temporaries
    b = make_learner(1)
    assert checkpoint.restore(tmp_path, b, scenario="toy")["n"] == 1
    for x, y in zip(saved, b.actor_weights()[0]):
        np.testing.assert_array_equal(x, y)
    monkeypatch.undo()  # space again: the retry saves ckpt-2 and nothing else is left
    checkpoint.save(tmp_path, a, extra={"n": 3}, scenario="toy")
    assert [f for f in files(tmp_path) if f not in before] == [
        "ckpt-2.data-00000-of-00001", "ckpt-2.extra.json", "ckpt-2.index", "ckpt-2.meta.json"]
    assert checkpoint.restore(tmp_path, make_learner(2), scenario="toy")["n"] == 3


def test_training_run_with_a_full_disk_is_one_line(tmp_path):
    """Through a process: the second save of a run finds the disk full."""
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import os, pathlib, sys
        from maddpg_tf2.quiet_import import import_tensorflow_quietly
        import_tensorflow_quietly()
        import tensorflow as tf
        real = tf.train.CheckpointManager.save
        calls = []
        def save(self, checkpoint_number=None, **kw):
            calls.append(1)
            if len(calls) == 1:
                return real(self, checkpoint_number=checkpoint_number, **kw)
            stem = os.path.join(self.directory, f"ckpt-{{checkpoint_number}}")
            os.makedirs(stem + "_temp", exist_ok=True)
            pathlib.Path(stem + ".data-00000-of-00001").write_bytes(b"x")
            raise tf.errors.ResourceExhaustedError(None, None, "No space left on device")
        tf.train.CheckpointManager.save = save
        from maddpg_tf2.cli import main
        sys.exit(main(sys.argv[1:]))
    """))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat")]))
    r = subprocess.run([sys.executable, str(driver), "--num-episodes", "30", "--save-rate", "10",
                        "--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--num-envs", "1",
                        "--quiet", "--save-dir", str(tmp_path / "s"), "--plots-dir", str(tmp_path / "p"),
                        "--exp-name", "e"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith(f"maddpg-train: error: no space left on the device of {tmp_path / 's'}"), lines
    assert "the previous checkpoint (ckpt-1) is intact" in lines[0]
    assert files(tmp_path / "s") == ["checkpoint", "ckpt-1.data-00000-of-00001", "ckpt-1.extra.json",
                                     "ckpt-1.index", "ckpt-1.meta.json", "meta.json"]
    assert checkpoint.read_meta(str(tmp_path / "s"))["scenario"] == "simple"
