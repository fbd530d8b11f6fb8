"""Issue 18: the end of training saves the episodes after the last save point (as Ctrl-C would);
the learning curves keep the original's points, one every --save-rate episodes."""
import json
import os
import pathlib
import pickle
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cli(*args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat")]))
    return subprocess.run([sys.executable, str(ROOT / "experiments" / "train.py"), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def latest_extra(folder):
    state = (folder / "checkpoint").read_text().splitlines()[0]
    name = state.split('"')[1]
    return name, json.loads((folder / f"{name}.extra.json").read_text())


def test_end_of_training_saves_the_last_episodes(tmp_path):
    out = ["--save-dir", tmp_path / "s", "--plots-dir", tmp_path / "p", "--exp-name", "e", "--max-episode-len", 5,
           "--batch-size", 8, "--buffer-size", 500, "--num-envs", 1, "--quiet", "--save-rate", 20]
    r = cli("--num-episodes", 30, *out, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    name, extra = latest_extra(tmp_path / "s")
    # a save point at the 20th started episode (19 completed), then the final save at 30
    assert name == "ckpt-2" and extra["progress"]["completed"] == 30 and extra["progress"]["train_step"] == 150
    rewards = pickle.loads((tmp_path / "p" / "e_rewards.pkl").read_bytes())
    assert len(rewards) == 1  # curve points stay one per --save-rate episodes
    # resuming a finished run runs no episode and saves nothing new
    r = cli("--num-episodes", 30, "--restore", *out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert latest_extra(tmp_path / "s")[0] == "ckpt-2"
    r = cli("--num-episodes", 35, "--restore", *out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    name, extra = latest_extra(tmp_path / "s")
    assert name == "ckpt-3" and extra["progress"]["completed"] == 35
