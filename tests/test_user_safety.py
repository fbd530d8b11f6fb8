"""Issue 15: a trained policy is kept safe and every stop is clean.

One seeded tiny run (module fixture, a real process) is shared: its checkpoint is copied where a test
needs to damage or overwrite one, and its curve is the reference of the seeded-resume test.
"""
import json
import os
import pathlib
import pickle
import re
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "experiments" / "train.py"
# 5 worlds and saves every 10 episodes: every save point falls where all worlds end an episode together
RUN = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10",
       "--num-envs", "5", "--seed", "3", "--quiet", "--save-replay"]


def _env():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    env.pop("DISPLAY", None)
    return env


def _cmd(*args):
    return [sys.executable, str(TRAIN), *map(str, args)]


def cli(*args, cwd):
    return subprocess.run(_cmd(*args), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)


def outputs(tmp, name="run", save="save"):
    return ["--save-dir", tmp / save, "--plots-dir", tmp / "plots", "--benchmark-dir", tmp / "bench",
            "--exp-name", name]


def tree_bytes(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(pathlib.Path(folder).rglob("*")) if p.is_file()}


def load(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def err_lines(err):
    return [l for l in err.splitlines() if l.strip()]


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """40 seeded episodes of `simple` in one go, with the replay checkpointed."""
    tmp = tmp_path_factory.mktemp("full")
    r = cli("--num-episodes", 40, *RUN, *outputs(tmp), cwd=tmp)
    assert r.returncode == 0, r.stderr
    assert not err_lines(r.stderr), r.stderr
    return tmp


# ----------------------------------------------------------------------------- seeded resume

@pytest.mark.slow  # default suite time; the mid-episode resume tests check the same curve by default
def test_seeded_run_stopped_and_restored_gives_the_same_curve(full, tmp_path):
    """Stopped at a save point (--num-episodes 20) and resumed with --restore (replay and the
    environments' generator come back from the checkpoint): the same curve as one run of 40."""
    r = cli("--num-episodes", 20, *RUN, *outputs(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = cli("--num-episodes", 40, "--restore", *RUN, *outputs(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not err_lines(r.stderr), r.stderr
    for suffix in ("_rewards.pkl", "_agrewards.pkl"):
        assert load(tmp_path / "plots" / f"run{suffix}") == load(full / "plots" / f"run{suffix}")
    assert len(load(full / "plots" / "run_rewards.pkl")) == 4
    # _curve.csv keeps the steps and wall-time columns of the rows saved before the restore
    rows = (tmp_path / "plots" / "run_curve.csv").read_text().splitlines()[1:]
    assert len(rows) == 4
    cells = [row.split(",") for row in rows]
    assert [c[1] for c in cells] == ["50", "100", "150", "200"]
    assert all(c[-1] and c[-2] for c in cells)
    walls = [float(c[-2]) for c in cells]
    assert walls == sorted(walls)


@pytest.fixture
def ctrl_c_at_step(monkeypatch):
    """ctrl_c_at_step(n): Ctrl-C (to this process) as the collector takes its n-th step; the loop's
    handler only raises its flag. ctrl_c_at_step(None) puts the real step back."""
    from maddpg_tf2.collectors import EnvCollector

    real_step = EnvCollector.step

    def arm(n):
        if n is None:
            monkeypatch.setattr(EnvCollector, "step", real_step)
            return
        calls = []

        def step(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                os.kill(os.getpid(), signal.SIGINT)
            return real_step(self, *args, **kwargs)
        monkeypatch.setattr(EnvCollector, "step", step)
    return arm


def test_seeded_run_interrupted_mid_episode_and_restored_gives_the_same_curve(full, tmp_path, main, ctrl_c_at_step):
    """Ctrl-C lands at the 13th step, 3 steps into the third episode of every world; the interrupt's
    checkpoint holds those episodes in progress and --restore continues them: the same curve as one
    run of 40."""
    ctrl_c_at_step(13)
    rc, out, err = main("--num-episodes", 40, *RUN, *outputs(tmp_path))
    assert rc == 130, err
    assert out.strip().splitlines()[-1].startswith("Interrupted after 10 episodes"), out
    extra = json.loads(sorted((tmp_path / "save").glob("ckpt-*.extra.json"))[-1].read_text())
    assert extra["in_progress"]["collector"]["episode_step"]["data"] == [3] * 5
    ctrl_c_at_step(None)
    rc, out, err = main("--num-episodes", 40, "--restore", *RUN, *outputs(tmp_path))
    assert rc == 0, err
    assert "start afresh" not in err
    for suffix in ("_rewards.pkl", "_agrewards.pkl"):
        assert load(tmp_path / "plots" / f"run{suffix}") == load(full / "plots" / f"run{suffix}")


def test_scenario_file_interrupted_mid_episode_and_restored_gives_the_same_curve(tmp_path, main, ctrl_c_at_step):
    """The same for a user's scenario file (object-style worlds, snapshotted attribute by attribute,
    the goal landmark and colours that reset_world sets included)."""
    scenario = tmp_path / "my_speaker_listener.py"
    scenario.write_text((ROOT / "compat" / "multiagent" / "scenarios" / "simple_speaker_listener.py").read_text())
    run = ["--scenario", scenario, "--num-episodes", 20, *RUN]
    rc, out, err = main(*run, *outputs(tmp_path / "full"))
    assert rc == 0, err
    ctrl_c_at_step(8)
    rc, out, err = main(*run, *outputs(tmp_path / "cut"))
    assert rc == 130, err
    extra = json.loads(sorted((tmp_path / "cut" / "save").glob("ckpt-*.extra.json"))[-1].read_text())
    assert extra["in_progress"]["collector"]["env"]["kind"] == "objects"
    ctrl_c_at_step(None)
    rc, out, err = main(*run, "--restore", *outputs(tmp_path / "cut"))
    assert rc == 0, err
    for suffix in ("_rewards.pkl", "_agrewards.pkl"):
        assert load(tmp_path / "cut" / "plots" / f"run{suffix}") == load(tmp_path / "full" / "plots" / f"run{suffix}")


def test_episodes_in_progress_that_do_not_fit_start_afresh(tmp_path, main, ctrl_c_at_step):
    """A checkpoint taken mid-episode, resumed with another --num-envs: one note, fresh episodes."""
    ctrl_c_at_step(3)
    rc, out, err = main("--num-episodes", 40, *RUN, *outputs(tmp_path))
    assert rc == 130, err
    ctrl_c_at_step(None)
    rc, out, err = main("--num-episodes", 20, "--restore", *RUN, "--num-envs", 2, *outputs(tmp_path))
    assert rc == 0, err
    assert "episodes in progress do not fit this run" in err and "start afresh" in err


# ----------------------------------------------------------------------------- overwrite protection

def test_fresh_run_of_another_configuration_is_refused(full, tmp_path):
    shutil.copytree(full / "save", tmp_path / "save")
    before = tree_bytes(tmp_path / "save")
    r = cli("--scenario", "simple_spread", "--num-episodes", 20, *RUN, *outputs(tmp_path), cwd=tmp_path)
    assert r.returncode == 2
    lines = err_lines(r.stderr)
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: error: --save-dir "), r.stderr
    assert "another configuration (scenario differs" in lines[0] and "--overwrite" in lines[0]
    assert "Traceback" not in r.stderr and "steps:" not in r.stdout
    assert tree_bytes(tmp_path / "save") == before


def test_overwrite_and_same_configuration(full, tmp_path, main):
    shutil.copytree(full / "save", tmp_path / "save")
    # other network size, --overwrite: replaces it, and the folder then loads as the new configuration
    rc, out, err = main("--num-units", 16, "--num-episodes", 10, "--overwrite", *RUN, *outputs(tmp_path))
    assert rc == 0, err
    rc, out, err = main("--num-units", 16, "--num-episodes", 20, "--restore", *RUN, *outputs(tmp_path))
    assert rc == 0, err
    # same configuration, fresh run: allowed (as the original), with a one-line note saying so
    rc, out, err = main("--num-units", 16, "--num-episodes", 10, *RUN, *outputs(tmp_path))
    assert rc == 0, err
    notes = err_lines(err)
    assert len(notes) == 1 and notes[0].startswith("maddpg-train: note: --save-dir") and "--restore" in notes[0]


def test_ctrl_c_before_the_first_save_of_a_fresh_run_keeps_the_earlier_checkpoint_latest(
        full, tmp_path, main, monkeypatch):
    from maddpg_tf2 import loop

    shutil.copytree(full / "save", tmp_path / "save")
    before = tree_bytes(tmp_path / "save")
    real = loop.Trainer._finish_episodes

    def finish(self, *args):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the first episodes end, before any save point
        return real(self, *args)

    monkeypatch.setattr(loop.Trainer, "_finish_episodes", finish)
    rc, out, err = main("--num-episodes", 1000, *RUN, "--save-rate", 100, *outputs(tmp_path))
    assert rc == 130, err
    last = out.strip().splitlines()[-1]
    assert "before this run's first save: no checkpoint saved" in last and "earlier run's" in last, last
    assert tree_bytes(tmp_path / "save") == before


# ----------------------------------------------------------------------------- non-finite values

NAN_SCENARIO = """
import numpy as np
from multiagent.core import World, Agent, Landmark
from multiagent.scenario import BaseScenario


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.agents = [Agent()]
        world.landmarks = [Landmark()]
        for entity in world.agents + world.landmarks:
            entity.collide = False
        world.agents[0].silent = True
        world.landmarks[0].movable = False
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for e in world.agents + world.landmarks:
            e.state.p_pos = np.random.uniform(-1, 1, 2)
            e.state.p_vel = np.zeros(2)
        world.agents[0].state.c = np.zeros(world.dim_c)

    def reward(self, agent, world):
        # finite at first, then huge: the critic's loss overflows once learning has started
        return -1e200 * float(np.sum(np.square(agent.state.p_pos)))

    def observation(self, agent, world):
        return np.concatenate([agent.state.p_vel, world.landmarks[0].state.p_pos - agent.state.p_pos])
"""


@pytest.mark.parametrize("case", ["huge_reward", "huge_lr"])
def test_non_finite_stops_with_one_line_and_keeps_the_finite_checkpoint(case, tmp_path, main, monkeypatch):
    path = tmp_path / "huge.py"
    path.write_text(textwrap.dedent(NAN_SCENARIO))
    if case == "huge_reward":  # the scenario's reward leaves float32's range on the first step
        flags, needle = ["--scenario", path], r"the scenario's reward of agent 0 became -\d\.\d+e\+\d+ at step 0, which the replay cannot store"
    else:  # Adam steps of 1e30: the weights overflow within a few rounds
        import dataclasses
        from maddpg_tf2 import ranges

        # the guard is under test, not --lr's range (which refuses 1e30): lift the bound here only
        monkeypatch.setitem(ranges.RANGES, "lr", dataclasses.replace(ranges.RANGES["lr"], high=None))
        flags, needle = ["--lr", "1e30"], r"training diverged: \S+ became (nan|inf|-inf) at update round \d+ "
    # saves every episode; learning starts after 32 * 5 = 160 transitions (episode 32 of 1 world)
    rc, out, err = main(*flags, "--num-episodes", 60, "--save-rate", 1, "--num-envs", 1,
                        "--max-episode-len", 5, "--batch-size", 32, "--buffer-size", 2000, "--seed", 0,
                        "--quiet", *outputs(tmp_path))
    assert rc == 2
    lines = err_lines(err)
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: error: "), err
    assert re.search(needle, lines[0]), lines[0]
    if case == "huge_reward":
        assert "this run saved no checkpoint" in lines[0] and not (tmp_path / "save" / "checkpoint").exists()
        return
    m = re.search(r"the last checkpoint of this run \(after (\d+) episodes\)", lines[0])
    assert m and int(m.group(1)) >= 39, lines[0]
    saved = json.loads(pathlib.Path(_latest(tmp_path / "save") + ".extra.json").read_text())
    assert saved["progress"]["completed"] == int(m.group(1))
    for name, value in _variables(_latest(tmp_path / "save")).items():
        if value.dtype.kind == "f":
            assert np.isfinite(value).all(), name


def test_nan_observation_names_the_agent_and_the_entry(tmp_path):
    """Issue 18: an observation that turns NaN is named as such (not as the reward), through a process."""
    path = tmp_path / "nan_obs.py"
    path.write_text(textwrap.dedent(NAN_SCENARIO).replace(
        "return -1e200 * float(np.sum(np.square(agent.state.p_pos)))", "return 0.0").replace(
        "return np.concatenate([agent.state.p_vel, world.landmarks[0].state.p_pos - agent.state.p_pos])",
        "self.n = getattr(self, 'n', 0) + 1\n"
        "        return np.array([0.0, 0.0, 0.0, np.nan if self.n > 7 else 1.0])"))
    r = cli("--scenario", path, "--num-episodes", 5, "--num-envs", 1, "--max-episode-len", 5, "--batch-size", 4,
            "--buffer-size", 100, "--quiet", *outputs(tmp_path), cwd=tmp_path)
    lines = err_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert re.match(r"maddpg-train: error: the scenario's observation of agent 0 \(entry 3\) became nan at step \d, "
                    r"which the replay cannot store .*; fix the scenario.s observation; .*this run saved no checkpoint",
                    lines[0]), lines[0]
    assert "reward" not in lines[0]


def _latest(folder):
    import tensorflow as tf
    return tf.train.latest_checkpoint(str(folder))


def _variables(prefix):
    import tensorflow as tf
    reader = tf.train.load_checkpoint(prefix)
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map() if "agent_" in k}


def test_finite_checks_name_what_and_when():
    from maddpg_tf2.safety import NonFiniteError, check_metrics, check_rewards, check_weights

    check_metrics({"loss/critic_0": 1.0, "loss/actor_0": -2.0}, 3)
    with pytest.raises(NonFiniteError, match=r"diverged: loss/actor_0 became nan at update round 7"):
        check_metrics({"loss/critic_0": 1.0, "loss/actor_0": float("nan")}, 7)
    check_weights([[np.ones(3)], [np.zeros((2, 2))]], "actor", 1)
    with pytest.raises(NonFiniteError, match=r"actor 1 became non-finite at update round 4"):
        check_weights([[np.ones(3)], [np.array([[0.0, np.inf]])]], "actor", 4)
    check_rewards(np.array([[3e38, -1.0]]), 0)
    with pytest.raises(NonFiniteError, match=r"reward of agent 1 became nan at step 5, which"):
        check_rewards(np.array([[0.0, np.nan]]), 5)
    with pytest.raises(NonFiniteError, match=r"reward of agent 0 became 1e\+39 at step 6 in world 1,"):
        check_rewards(np.array([[0.0, 0.0], [1e39, 0.0]]), 6)
    from maddpg_tf2.safety import check_step
    check_step([np.ones((2, 3))], [np.ones((2, 3))], np.zeros((2, 1)), 0)
    with pytest.raises(NonFiniteError, match=r"the scenario's observation of agent 1 \(entry 2\) became nan at "
                                             r"step 9 in world 1, .*fix the scenario's observation$"):
        check_step([np.ones((2, 3))] * 2, [np.ones((2, 3)), np.array([[0, 0, 0], [0, 0, np.nan]])], np.zeros((2, 2)), 9)


# ----------------------------------------------------------------------------- signals

@pytest.mark.slow  # default suite time; one Ctrl-C and Ctrl-C while starting are checked by default
def test_two_ctrl_c_stop_cleanly(tmp_path, main):
    """Two SIGINTs back to back: either the save finishes or it is abandoned, with a message,
    exit 130, no traceback; what is in the save dir still loads."""
    p = subprocess.Popen(_cmd("--num-episodes", 100000, *RUN, *outputs(tmp_path)), cwd=tmp_path, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in p.stdout:
            seen.append(line)
            if line.startswith("steps: 150"):
                break
        p.send_signal(signal.SIGINT)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    last = out.strip().splitlines()[-1]
    assert last.startswith(("Interrupted after", "Interrupted again")), out
    if last.startswith("Interrupted again"):
        assert "the last checkpoint of this run" in last and "--restore" in last
    rc, out, err = main("--benchmark", "--benchmark-iters", 10, *RUN, *outputs(tmp_path))
    assert rc == 0, err


def test_ctrl_c_while_starting_is_one_line(tmp_path):
    """Ctrl-C before training runs (here: while TensorFlow loads) ends without a traceback."""
    import time

    p = subprocess.Popen(_cmd("--num-episodes", 100000, *RUN, *outputs(tmp_path)), cwd=tmp_path, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = err_lines(err)
    if lines:  # stopped before the loop's own handling: one line
        assert lines == ["maddpg-train: stopped: interrupted; nothing more was saved"], err
    else:  # training had started: the loop's interrupt message
        assert out.strip().splitlines()[-1].startswith("Interrupted after"), out


def test_ctrl_c_again_during_the_interrupt_save_abandons_it(tmp_path, main, monkeypatch):
    """In this process: the first Ctrl-C lands during a save point's save, the second during the
    save it causes; that save is abandoned and the message names the last complete checkpoint."""
    from maddpg_tf2 import checkpoint

    real_save, calls = checkpoint.save, []

    def save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # first Ctrl-C: the loop stops after this step
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # second Ctrl-C, inside the interrupt save
        return real_save(*args, **kwargs)

    monkeypatch.setattr(checkpoint, "save", save)
    rc, out, err = main("--num-episodes", 1000, *RUN, *outputs(tmp_path))
    assert rc == 130 and len(calls) == 3, (out, err)
    last = out.strip().splitlines()[-1]
    assert last.startswith("Interrupted again while saving: abandoned the rest of that save; the last checkpoint of this "
                           "run (after 20 episodes)"), last
    assert _latest(tmp_path / "save").endswith("ckpt-2")


# ----------------------------------------------------------------------------- checkpoint files

def test_only_the_latest_replay_is_kept(full):
    replays = sorted(p.name for p in (full / "save").glob("*.replay.npz"))
    assert replays == [os.path.basename(_latest(full / "save")) + ".replay.npz"]


def test_stale_temporaries_are_removed_at_the_next_save(full, tmp_path, main):
    shutil.copytree(full / "save", tmp_path / "save")
    save = tmp_path / "save"
    stale = [save / ".ckpt-9.replay.npz.x1y2.tmp", save / ".meta.json.abc.tmp", save / "checkpoint.tmp0f0f"]
    for p in stale:
        p.write_bytes(b"\0" * 1000)
    (save / "ckpt-9_temp").mkdir()
    (save / "ckpt-9_temp" / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"\0")
    keep = save / "notes.txt"
    keep.write_text("mine")
    (tmp_path / "plots").mkdir()
    stale.append(tmp_path / "plots" / ".run_rewards.pkl.k2j3.tmp")  # the curves' temporaries too
    stale[-1].write_bytes(b"\0")
    other_run = tmp_path / "plots" / ".other_rewards.pkl.k2j3.tmp"  # not this run's: left alone
    other_run.write_bytes(b"\0")
    rc, out, err = main("--num-episodes", 60, "--restore", *RUN, *outputs(tmp_path))
    assert rc == 0, err
    assert not any(p.exists() for p in stale) and not (save / "ckpt-9_temp").exists()
    assert keep.read_text() == "mine" and other_run.exists()


def test_replay_of_another_layout_is_left_out_with_a_note(full, tmp_path, main):
    shutil.copytree(full / "save", tmp_path / "save")
    shutil.copytree(full / "plots", tmp_path / "plots")
    rc, out, err = main("--num-episodes", 50, "--restore", *RUN, "--num-envs", 2, *outputs(tmp_path))
    assert rc == 0, err
    notes = err_lines(err)
    assert len(notes) == 1 and notes[0].startswith("maddpg-train: note: the saved replay (5 worlds"), err
    assert "--num-envs 2" in notes[0] and "empty replay" in notes[0]
    assert out.splitlines()[-1] == "...Finished total of 51 episodes."


def test_description_of_a_new_configuration_written_before_a_kill_does_not_hide_the_old_checkpoint(
        full, tmp_path, main):
    """A kill in a save of another configuration after its description was written: the state file
    still names the old checkpoint, whose own description is what restore reads."""
    shutil.copytree(full / "save", tmp_path / "save")
    save = tmp_path / "save"
    other = json.loads((save / "meta.json").read_text())
    other.update(scenario="simple_spread", obs_dims=[18, 18, 18], act_dims=[5, 5, 5], critics=["maddpg"] * 3)
    (save / "ckpt-5.meta.json").write_text(json.dumps(other))
    (save / "meta.json").write_text(json.dumps(other))  # even the folder's copy
    rc, out, err = main("--display", "--display-episodes", 1, "--display-file", tmp_path / "d.gif", *RUN,
                        *outputs(tmp_path))
    assert rc == 0, err
    assert (tmp_path / "d.gif").is_file()


# ----------------------------------------------------------------------------- evaluation and API

def test_benchmark_evaluates_exactly_the_episodes_asked_for(full, tmp_path, main):
    for iters, episodes in ((60, 12), (57, 12), (5, 1)):
        rc, out, err = main("--benchmark", "--benchmark-iters", iters, "--num-envs", 64, "--max-episode-len", 5,
                            "--load-dir", full / "save", "--benchmark-dir", tmp_path, "--exp-name", f"b{iters}")
        assert rc == 0, err
        assert len(load(tmp_path / f"b{iters}.pkl")) == episodes
        assert f"({episodes} episodes of up to 5 steps)" in out


def test_python_api_single_observation_shapes_and_metadata(full):
    import maddpg_tf2
    from maddpg_tf2.envs.make import make_env

    agents = maddpg_tf2.load(str(full / "save"))  # scenario and sizes from the checkpoint's metadata
    obs_n = make_env("simple", num_envs=3, seed=0).reset()  # list over agents of [3, 4]
    single = [o[0] for o in obs_n]  # one observation per agent, [4]
    batch_act = agents.act(obs_n, deterministic=True)
    assert [a.shape for a in batch_act] == [(3, 5)]
    one = agents.act(single, deterministic=True)
    assert [a.shape for a in one] == [(5,)]
    np.testing.assert_allclose(one[0], batch_act[0][0], rtol=1e-6)
    q = agents.q_values(single, one)
    assert isinstance(q[0], float)
    with pytest.raises(ValueError, match=r"obs_n must be a list of 1 arrays .* shapes \[\(4,\)\]"):
        agents.act([np.zeros(3)])
    with pytest.raises(ValueError, match="one per agent"):
        agents.act(np.zeros((1, 4)))


def test_python_api_import_is_quiet(tmp_path):
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    env.pop("MADDPG_TF2_VERBOSE_TF", None)
    r = subprocess.run([sys.executable, "-c", "import maddpg_tf2.api"], env=env, capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_readme_and_guide_are_self_contained():
    """README and the guide (docs/) name no file outside the repository (the session's ORIGINAL.md), and
    the guide documents the safety flags."""
    readme = (ROOT / "README.md").read_text()
    guide = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    assert "ORIGINAL.md" not in readme and "ORIGINAL.md" not in guide
    assert "`--overwrite`" in guide and "`--debug`" in guide and "tensorboard" in guide
