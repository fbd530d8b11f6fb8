"""Issue 18: --benchmark and --display paths a user reaches (through a process)."""
import os
import pathlib
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

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
    with ThreadPoolExecutor(2) as pool:  # the two evaluations side by side (each mostly TensorFlow's import)
        own = pool.submit(cli, "--env", "gymnasium:Pendulum-v1", "--benchmark", "--benchmark-iters", 400,
                          "--exp-name", "own", *out, cwd=tmp)
        given = pool.submit(cli, "--env", "gymnasium:Pendulum-v1", "--benchmark", "--benchmark-iters", 100,
                            "--max-episode-len", 50, "--exp-name", "given", *out, cwd=tmp)
    r = own.result()
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines() == [
        "maddpg-train: note: episodes last the env's own limit of 200 steps (pass --max-episode-len N for "
        "another length)"]
    episodes = pickle.loads((tmp / "b" / "own.pkl").read_bytes())
    assert len(episodes) == 2 and [ep["length"] for ep in episodes] == [200, 200], episodes
    r = given.result()
    assert r.returncode == 0 and r.stderr == "", r.stderr
    episodes = pickle.loads((tmp / "b" / "given.pkl").read_bytes())
    assert len(episodes) == 2 and [ep["length"] for ep in episodes] == [50, 50], episodes


DRIVER = """
import os, signal, sys
import maddpg_tf2.envs.make as make
real = make.make_env_for

def make_env_for(*args, **kwargs):
    env = real(*args, **kwargs)
    step, calls = env.step, []

    def stepped(act_n):
        calls.append(1)
        if len(calls) == 13:  # Ctrl-C in the third episode of 5 steps
            os.kill(os.getpid(), signal.SIGINT)
        return step(act_n)

    env.step = stepped
    return env

make.make_env_for = make_env_for
from maddpg_tf2.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # default suite time; test_display_stream's real SIGINT from outside runs by default
def test_headless_display_ctrl_c_writes_whole_episodes_and_exits_130(tmp_path, monkeypatch):
    import imageio.v3 as iio

    out = ["--save-dir", tmp_path / "s", "--plots-dir", tmp_path / "p", "--max-episode-len", 5, "--batch-size", 8,
           "--quiet", "--exp-name", "d"]
    from maddpg_tf2.cli import main

    monkeypatch.chdir(tmp_path)  # the checkpoint to display: trained in this process (TensorFlow is loaded once)
    assert main([str(a) for a in ["--num-episodes", 2, "--save-rate", 1, "--num-envs", 1, *out]]) == 0
    (tmp_path / "driver.py").write_text(DRIVER)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat")]))
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, str(tmp_path / "driver.py"), "--display", "--display-episodes", "100",
                        *map(str, out)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    gif = tmp_path / "p" / "d_display.gif"
    assert r.returncode == 130, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"maddpg-train: stopped: interrupted; wrote the 2 episodes (10 frames) to {gif}"], r.stderr
    assert iio.imread(gif, index=None).shape[0] == 10
    assert sorted(os.listdir(tmp_path / "p")) == ["d_display.gif"] or all(
        not f.endswith(".tmp") for f in os.listdir(tmp_path / "p"))


def test_single_agent_gymnasium_run_names_its_one_policy(pendulum):
    _, _, r = pendulum
    assert r.stdout.splitlines()[0] == "Using policy maddpg for the single agent"


def test_restored_progress_bar_counts_only_this_runs_episodes(tmp_path):
    from maddpg_tf2.logging import RunLogger

    logger = RunLogger(tmp_path, "e", 1, 10, 1000)
    logger.start_progress_at(900)
    logger.progress(901, 5)
    assert (logger._bar.n, logger._bar.format_dict["initial"]) == (901, 900)  # rate = (n - initial) / time
    logger.close()
