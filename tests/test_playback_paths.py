"""Issue 18: --benchmark and --display paths a user reaches (through a process)."""
import os
import pathlib
import pickle
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cli(*args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat")]))
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, str(ROOT / "experiments" / "train.py"), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pendulum(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pendulum")
    out = ["--save-dir", tmp / "s", "--plots-dir", tmp / "p", "--benchmark-dir", tmp / "b"]
    r = cli("--env", "gymnasium:Pendulum-v1", "--num-episodes", 2, "--max-episode-len", 10, "--batch-size", 8,
            "--buffer-size", 200, "--num-envs", 1, "--save-rate", 1, "--quiet", "--exp-name", "train", *out, cwd=tmp)
    assert r.returncode == 0, r.stderr
    return tmp, out, r


def test_gymnasium_benchmark_uses_the_envs_own_episode_limit(pendulum):
    tmp, out, _ = pendulum
    r = cli("--env", "gymnasium:Pendulum-v1", "--benchmark", "--benchmark-iters", 400, "--exp-name", "own",
            *out, cwd=tmp)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines() == [
        "maddpg-train: note: episodes last the env's own limit of 200 steps (pass --max-episode-len N for "
        "another length)"]
    episodes = pickle.loads((tmp / "b" / "own.pkl").read_bytes())
    assert len(episodes) == 2 and [ep["length"] for ep in episodes] == [200, 200], episodes
    r = cli("--env", "gymnasium:Pendulum-v1", "--benchmark", "--benchmark-iters", 100, "--max-episode-len", 50,
            "--exp-name", "given", *out, cwd=tmp)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    episodes = pickle.loads((tmp / "b" / "given.pkl").read_bytes())
    assert len(episodes) == 2 and [ep["length"] for ep in episodes] == [50, 50], episodes
