"""Issue 10: training with Ray explorers (`--explorers K`), on one local Ray started for this module.

Runs call the CLI's `main(argv)` in this process (the Ray started here is reused by the run), on tiny
settings. Faults are real (an explorer's process is killed with SIGKILL, another with `ray.kill`);
only their moment is chosen by the test, at a given round, so the test does not depend on timing.
"""
import os
import pickle
import re
import signal
import sys
import types

import pytest

ray = pytest.importorskip("ray")

from maddpg_tf2.cli import main as cli_main  # noqa: E402
from maddpg_tf2.distributed import explorers as explorers_mod  # noqa: E402
from maddpg_tf2.distributed import runtime  # noqa: E402

TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10",
        "--num-envs", "4", "--quiet"]
SAVE_LINE = re.compile(r"^steps: \d+, episodes: \d+, mean episode reward: -?[\d.e+-]+, time: [\d.]+$")


@pytest.fixture(scope="module")
def local_ray():
    runtime.connect(None, num_cpus=4)
    yield
    runtime.shutdown()


def run(capsys, tmp, *args, name="run"):
    """main(argv) in this process on tiny settings; (exit code, stdout, stderr) when capsys is given."""
    rc = cli_main([str(a) for a in [*TINY, "--save-dir", tmp / "save", "--plots-dir", tmp / "plots",
                                    "--benchmark-dir", tmp / "bench", "--exp-name", name, *args]])
    out, err = capsys.readouterr() if capsys is not None else ("", "")
    return rc, out, err


def curve(tmp, name="run"):
    with open(tmp / "plots" / f"{name}_rewards.pkl", "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def seeded_run(local_ray, tmp_path_factory):
    """60 tiny episodes of `simple` with 2 explorers of 4 worlds, seeded."""
    tmp = tmp_path_factory.mktemp("explorers")
    rc, out, err = run(None, tmp, "--num-episodes", 60, "--seed", 1, "--explorers", 2)
    return tmp, rc, out, err


def test_explorers_write_the_original_outputs_and_a_loadable_checkpoint(seeded_run, capsys):
    tmp, rc, _, err = seeded_run
    assert rc == 0, err
    rewards = curve(tmp)
    assert len(rewards) == 6 and all(type(x) is float for x in rewards)
    assert (tmp / "plots" / "run_agrewards.pkl").is_file() and (tmp / "plots" / "run_curve.csv").is_file()
    assert (tmp / "save" / "meta.json").is_file() and list((tmp / "save").glob("ckpt-*.index"))
    extra = sorted((tmp / "save").glob("ckpt-*.extra.json"))[-1].read_text()
    assert '"update_rounds"' in extra and '"update_rounds": 0' not in extra  # updates ran
    # --benchmark and maddpg_tf2.load read what the explorers' run saved
    rc, out, err = run(capsys, tmp, "--benchmark", "--benchmark-iters", 10)
    assert rc == 0, err
    assert (tmp / "bench" / "run.pkl").is_file() and "Finished benchmarking" in out
    import maddpg_tf2
    agents = maddpg_tf2.load(str(tmp / "save"), scenario="simple")
    assert agents.n == 1


def test_same_seed_and_k_give_the_same_curve_and_lines(seeded_run, tmp_path, capsys):
    first, rc0, _, _ = seeded_run
    assert rc0 == 0
    rc, out, err = run(capsys, tmp_path, "--num-episodes", 60, "--seed", 1, "--explorers", 2)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["Using good policy maddpg and adv policy maddpg", "Starting iterations..."]
    assert lines[-1] == "...Finished total of 61 episodes."
    assert len(lines) == 9 and all(SAVE_LINE.match(l) for l in lines[2:-1]), lines
    assert curve(tmp_path) == curve(first)


@pytest.mark.slow  # default suite time; a kill -9 of an explorer in a CLI run: test_cli_explorer_killed_is_one_line_... (slow too)
def test_killed_explorers_are_restarted_and_the_run_ends_normally(local_ray, tmp_path, capsys, monkeypatch):
    """At round 2 (of 8: 13 steps of 8 worlds per round) explorer 0's process gets SIGKILL and explorer 1
    a `ray.kill` (together, so that the two restarts overlap); the run ends normally and says once
    per loss what happened."""
    original = explorers_mod.ExplorerCollector._next_round
    state = {"round": 0}

    def faulty(self, random):
        state["round"] += 1
        if state["round"] == 2:
            os.kill(ray.get(self.explorers[0].pid.remote()), signal.SIGKILL)
            ray.kill(self.explorers[1], no_restart=False)
        return original(self, random)

    monkeypatch.setattr(explorers_mod.ExplorerCollector, "_next_round", faulty)
    rc, out, err = run(capsys, tmp_path, "--num-episodes", 160, "--seed", 2, "--explorers", 2,
                     "--save-rate", 40)
    assert rc == 0, err
    lines = out.splitlines()
    lost = [l for l in err.splitlines() if l.startswith("maddpg-train: note: explorer ")]
    assert sorted(l.split()[3] for l in lost) == ["0", "1"], err  # one line per loss, on stderr
    assert all(re.fullmatch(r"maddpg-train: note: explorer [01] lost \([\w ]+\); restarted by Ray, .*", l)
               for l in lost), lost
    assert lines[:2] == ["Using good policy maddpg and adv policy maddpg", "Starting iterations..."]
    assert all(SAVE_LINE.match(l) for l in lines[2:-1]), lines  # stdout: the original's lines only
    assert lines[-1] == "...Finished total of 161 episodes."
    assert len(curve(tmp_path)) == 4
    assert state["round"] > 2
    # Without losses the 8 worlds end 8 episodes every 5 steps: 160 episodes at 800 transitions. The
    # lost worlds' unfinished episodes (blocks end at steps 13, 26, ..., never on an episode's end)
    # were stepped but not counted, so more transitions were needed.
    assert int(re.match(r"steps: (\d+)", lines[-2]).group(1)) > 160 * 5, lines


@pytest.mark.slow  # about 25 s; the loss note's logic runs by default (test_start_up_losses_are_losses_...)
def test_cli_explorer_killed_is_one_line_and_the_run_ends_cleanly(local_ray, tmp_path):
    """kill -9 of an explorer's process in a CLI run (a subprocess on the module's Ray): one line on
    stderr names the explorer, the run finishes with the original's lines, nothing crashes on the way out."""
    from ray_kill import CRASH, run_and_kill

    rc, out, err, killed = run_and_kill(
        [*TINY, "--num-episodes", 60, "--explorers", 2, "--ray-address", ray.get_runtime_context().gcs_address,
         "--save-dir", tmp_path / "save", "--plots-dir", tmp_path / "plots"], "Explorer")
    assert killed is not None and rc == 0, err[-3000:]
    lost = [l for l in err.splitlines() if l.startswith("maddpg-train: note: explorer ")]
    assert len(lost) == 1 and re.match(r"maddpg-train: note: explorer [01] lost .*restarted by Ray", lost[0]), err
    assert [l for l in err.splitlines() if l.strip() and not l.startswith("maddpg-train: note: ")] == [], err
    assert not CRASH.search(err), err
    lines = out.splitlines()
    assert lines[:2] == ["Using good policy maddpg and adv policy maddpg", "Starting iterations..."]
    assert all(SAVE_LINE.match(l) for l in lines[2:-1]) and lines[-1] == "...Finished total of 61 episodes.", out


@pytest.mark.slow  # default suite time; SIGTERM and resume are checked by default without explorers (test_cli.py)
def test_sigterm_saves_and_restore_resumes_with_another_k(local_ray, tmp_path, capsys, monkeypatch):
    original = explorers_mod.ExplorerCollector._next_round
    state = {"round": 0}

    def stopped(self, random):
        state["round"] += 1
        if state["round"] == 3:  # of 4
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, random)

    monkeypatch.setattr(explorers_mod.ExplorerCollector, "_next_round", stopped)
    rc, out, err = run(capsys, tmp_path, "--num-episodes", 80, "--seed", 1, "--explorers", 2)
    assert rc == 143, err
    assert out.splitlines()[-1].startswith("Interrupted after "), out
    saved = curve(tmp_path)
    monkeypatch.setattr(explorers_mod.ExplorerCollector, "_next_round", original)
    rc, out, err = run(capsys, tmp_path, "--num-episodes", 80, "--restore", "--explorers", 1)
    assert rc == 0, err
    assert out.splitlines()[-1] == "...Finished total of 81 episodes."
    rewards = curve(tmp_path)
    assert len(saved) >= 2 and len(rewards) == 8 and rewards[:len(saved)] == saved


@pytest.mark.slow  # default suite time; central inference runs by default in test_ray_safety.py
def test_central_inference_with_async_updates(local_ray, tmp_path, capsys):
    """Both options end to end: the run completes, and reports the update-to-data ratio it reached
    (at least the synchronous one: the learner trains extra rounds while it waits)."""
    rc, out, err = run(capsys, tmp_path, "--num-episodes", 60, "--seed", 1, "--explorers", 2,
                       "--inference", "central", "--async-updates")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[-1] == "...Finished total of 61 episodes." and len(curve(tmp_path)) == 6
    ratio = [l for l in lines if l.startswith("Asynchronous updates:")]
    assert len(ratio) == 1, lines
    rounds, data, per100 = re.match(r"Asynchronous updates: (\d+) update rounds for (\d+) transitions, "
                                    r"([\d.]+) per 100", ratio[0]).groups()
    assert int(data) >= 60 * 5 and float(per100) == pytest.approx(100 * int(rounds) / int(data), abs=0.01)
    assert int(rounds) >= (int(data) - 160) // 100  # learning starts at batch * episode length = 160


def test_central_inference_answers_each_request_as_a_local_forward_pass():
    """The inference actor's batched pass (called here as a plain object) gives every explorer the
    parameters its own numpy copy of the actors would compute."""
    import asyncio

    import numpy as np

    from maddpg_tf2.config import Config
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.loop import build_agents

    env = make_env("simple_speaker_listener", num_envs=3, seed=0)
    _, policy = build_agents(Config(seed=0), env)
    dims = [int(s.shape[0]) for s in env.observation_space_n]
    inference = explorers_mod.Inference(policy.weights_n, dims, expected=2)
    rng = np.random.default_rng(0)
    requests = [[rng.standard_normal((e, d)).astype(np.float32) for d in dims] for e in (3, 5)]

    async def both():
        return await asyncio.gather(*[inference.logits(np.concatenate(r, axis=1)) for r in requests])

    for got, obs_n in zip(asyncio.run(both()), requests):
        np.testing.assert_allclose(got, np.concatenate(policy.logits(obs_n), axis=1), rtol=1e-5, atol=1e-6)


def test_bad_explorer_flags_are_one_line(capsys):
    assert cli_main(["--explorers", "-1"]) == 2
    assert "--explorers must be a whole number in 0..1024" in capsys.readouterr().err
    assert cli_main(["--async-updates"]) == 2
    assert "need explorers" in capsys.readouterr().err


def test_missing_ray_and_unreachable_address_are_one_line(tmp_path, capsys, monkeypatch):
    common = ["--save-dir", str(tmp_path / "s"), "--plots-dir", str(tmp_path / "p")]
    assert cli_main(["--explorers", "1", "--ray-address", "127.0.0.1:1", *common]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot start or reach the Ray cluster at 127.0.0.1:1" in err[0], err
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert cli_main(["--explorers", "1", *common]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install -e ".[distributed]"' in err[0], err


def _learn(capsys, tmp, episodes):
    rc, _, err = run(capsys, tmp, "--scenario", "simple", "--num-episodes", episodes, "--save-rate", 100,
                     "--max-episode-len", 25, "--batch-size", 128, "--buffer-size", 1000000,
                     "--num-envs", 8, "--explorers", 2, "--seed", 0, name="learn")
    assert rc == 0, err
    return curve(tmp, "learn")


@pytest.mark.slow
def test_simple_learns_with_explorers(local_ray, tmp_path, capsys):
    """tests/test_learning.py's run (16 worlds, batch 128, seed 0) with its worlds on 2 explorers."""
    rewards = _learn(capsys, tmp_path, 1200)
    assert len(rewards) == 12
    assert rewards[0] < -20, rewards  # the untrained start, so the threshold below means learning
    assert sum(rewards[-2:]) / 2 > -10, rewards



@pytest.mark.slow  # about 15 s; test_start_up_losses_are_losses_and_a_raising_constructor_is_not checks the logic by default
def test_explorer_killed_while_it_starts_gets_the_note_of_a_loss(local_ray, tmp_path, capsys, monkeypatch):
    """Issue 27: an explorer whose process dies before it is ready (here `ray.kill` right after it was
    made) is restarted by Ray and named in the same one-line note as one lost during collection; the
    run ends normally."""
    original = explorers_mod.ExplorerCollector._wait_started

    def kill_first(self, runtime):
        ray.kill(self.explorers[0], no_restart=False)
        return original(self, runtime)

    monkeypatch.setattr(explorers_mod.ExplorerCollector, "_wait_started", kill_first)
    rc, out, err = run(capsys, tmp_path, "--num-episodes", 20, "--seed", 4, "--explorers", 2)
    assert rc == 0, err
    lost = [l for l in err.splitlines() if l.startswith("maddpg-train: note: explorer ")]
    assert len(lost) == 1 and re.fullmatch(r"maddpg-train: note: explorer 0 lost \([\w ]+\); restarted by Ray, .*",
                                           lost[0]), err
    assert out.splitlines()[-1] == "...Finished total of 21 episodes."


def test_explorers_beyond_the_memory_are_refused_in_one_line(monkeypatch, capsys, tmp_path):
    """--explorers 1024: one line before any explorer (or a local Ray for them) starts."""
    from maddpg_tf2 import safety

    monkeypatch.setattr(safety, "available_memory", lambda: 16 * 2**30)
    monkeypatch.setattr(runtime, "connect", lambda *a, **k: pytest.fail("Ray was started"))
    rc, _, err = run(capsys, tmp_path, "--num-episodes", 2, "--explorers", 1024, "--num-envs", 1,
                     "--buffer-size", 200000)
    lines = [l for l in err.splitlines() if l.strip()]
    assert rc == 2 and len(lines) == 1, lines
    assert lines[0].startswith("maddpg-train: error: --explorers 1024 needs about 4") and \
        "pass at most --explorers 35," in lines[0], lines


def test_start_up_losses_are_losses_and_a_raising_constructor_is_not(monkeypatch, capsys):
    """Without Ray: an explorer that Ray restarted while it started gets the note of a loss; a death
    whose message mentions the creation task (a process killed while its constructor ran) is a loss,
    not "could not start"; a constructor that raised is one line naming the explorer."""
    collector = object.__new__(explorers_mod.ExplorerCollector)
    collector.explorers = [types.SimpleNamespace(restarted=types.SimpleNamespace(remote=lambda: k)) for k in range(3)]
    collector.announced, collector.inference, collector.ray = [False] * 3, None, ray
    fake_runtime = types.SimpleNamespace(wait_ready=lambda ray_, refs, *a, **k: [False, True, False])
    collector._wait_started(fake_runtime)
    notes = capsys.readouterr().err.splitlines()
    assert notes == ["maddpg-train: note: explorer 1 lost (its process ended while it started); restarted by Ray, "
                     "its unfinished block is dropped and the episodes in progress in its worlds are not counted"]
    killed = ray.exceptions.ActorDiedError()
    killed.error_msg = "The actor died unexpectedly before finishing this task.\n\tclass_name: Explorer\nWorker " \
                       "exits unexpectedly while its creation task was running (SIGKILL)"
    collector.announced = [False] * 3
    collector._lost(2, killed, 1)  # no exception: Ray restarts it
    assert "explorer 2 lost (ActorDiedError)" in capsys.readouterr().err
    raised = ray.exceptions.RayActorError(None, "The actor died because of an error raised in its creation task, "
                                          "ModuleNotFoundError: No module named 'x'", actor_init_failed=True)
    with pytest.raises(explorers_mod.UserError, match="^explorer 0 could not start: "):
        collector._lost(0, raised, 1)
