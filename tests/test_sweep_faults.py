"""Issue 27: maddpg-sweep when Ray loses trial workers in a way Tune does not handle (its memory monitor
kills them: Tune's controller raises "Caught unexpected exception" from ray.exceptions.OutOfMemoryError
and stops every trial), a trial's time over all its stretches, --seeds, and report.png's legends.

The memory kill is injected where Ray raises it, into Tuner.fit (a scripted stand-in for Ray Tune: no
Ray starts, so these tests take a second); tests/test_sweep.py runs the real Tune end to end."""
import csv
import json
import os
import subprocess
import sys
import textwrap
import types

import pytest

ray = pytest.importorskip("ray")

from maddpg_tf2.distributed import runtime  # noqa: E402
from maddpg_tf2.sweep import command, report, spec, trial as trial_mod  # noqa: E402

OOM_TEXT = ("{n} worker(s) were killed due to the node running low on memory. Memory on the node (IP: 127.0.0.1, "
            "ID: abc) was 22.9GB used / 24GB limit (0.95). Killed workers: (actor ID: 1f, pid={pid}, actual memory "
            "used=3.1GB, worker ID=9e)")


def memory_kill(pid="4242", n=1):
    """What Tuner.fit raises when Ray's memory monitor killed a trial's worker."""
    try:
        raise ray.exceptions.OutOfMemoryError(OOM_TEXT.format(n=n, pid=pid))
    except ray.exceptions.OutOfMemoryError as e:
        try:
            raise RuntimeError(f"Caught unexpected exception: {e}") from e
        except RuntimeError as wrapped:
            return wrapped


class ScriptedTune:
    """The part of Ray Tune the runner uses; each Tuner.fit plays `script(fit_number, names, tuner)`."""

    class Callback:
        pass

    def __init__(self, out, script):
        self.out, self.script, self.fits, self.failure_configs = out, script, [], []

    def with_resources(self, fn, resources):
        return fn

    def grid_search(self, values):
        return {"grid_search": values}

    TuneConfig = RunConfig = FailureConfig = staticmethod(lambda **kw: kw)

    def Tuner(self, trainable, param_space, tune_config, run_config):
        tune = self
        payloads = {p["name"]: p for p in param_space["trial"]["grid_search"]}
        self.failure_configs.append(run_config["failure_config"])
        callback = run_config["callbacks"][0]

        class Fit:
            def fit(self):
                tune.fits.append(sorted(payloads))
                tune.script(len(tune.fits), sorted(payloads), Player(tune.out, payloads, callback))

        return Fit()


class Player:
    """Trial events as Tune reports them, with the files a real trial leaves."""

    def __init__(self, out, payloads, callback):
        self.out, self.payloads, self.callback = out, payloads, callback

    def _trial(self, name):
        return types.SimpleNamespace(config={"trial": self.payloads[name]}, error_file=None)

    def start(self, name, pid):
        folder = trial_mod.trial_dir(self.out, name)
        with open(os.path.join(folder, "worker.pid"), "w") as f:
            f.write(f"{pid}\n")
        self.callback.on_trial_start(0, [], self._trial(name))

    def finish(self, name):
        p = self.payloads[name]
        row = {"trial": name, "config": p["config_name"], "point": p["point"], "seed": p["seed"], "wall_s": 1.5,
               "resumed": 0, "final_reward": -3.0, "metric_name": "final_reward", "metric": -3.0, "summary": None}
        with open(os.path.join(trial_mod.trial_dir(self.out, name), "result.json"), "w") as f:
            json.dump(row, f)
        self.callback.on_trial_complete(0, [], self._trial(name))


@pytest.fixture
def sweep_file(tmp_path):
    path = tmp_path / "mem.yaml"
    path.write_text(textwrap.dedent("""
        base: {scenario: simple, max-episode-len: 5, num-episodes: 20}
        grid: {lr: [0.01]}
        seeds: [0, 1]
        metric: final_reward
    """))
    return path


def run_sweep(monkeypatch, capsys, sweep_file, out, script, *extra):
    tune = ScriptedTune(str(out), script)
    monkeypatch.setattr(runtime, "require_tune", lambda *a, **k: tune)
    monkeypatch.setattr(runtime, "connect", lambda *a, **k: ray)
    monkeypatch.setattr(runtime, "shutdown", lambda: None)
    for name in ("TUNE_DISABLE_SIGINT_HANDLER", "RAY_AIR_NEW_OUTPUT", "TUNE_RESULT_BUFFER_LENGTH"):
        monkeypatch.setenv(name, os.environ.get(name, "1"))
    rc = command.main([str(sweep_file), "--out", str(out), *extra])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert all(line.startswith("maddpg-sweep: ") for line in lines), err  # no traceback, no Tune table
    return rc, lines, tune


A, B = "lr-0.01_s0", "lr-0.01_s1"


@pytest.mark.parametrize("named", [True, False], ids=["worker-named", "no-worker-named"])
def test_memory_killed_trial_is_retried_from_its_checkpoint(monkeypatch, capsys, sweep_file, tmp_path, named):
    """The first Tuner ends with Ray's OutOfMemoryError while both trials run; the runner starts the
    unfinished ones again. The trial whose worker Ray names loses one retry (one line); when Ray names
    none of them, every running trial does."""
    def script(fit, names, play):
        if fit == 1:
            play.start(A, 4242)
            play.start(B, 4343)
            raise memory_kill(pid="4242" if named else "999999")
        for name in names:
            play.start(name, 5000)
            play.finish(name)

    rc, lines, tune = run_sweep(monkeypatch, capsys, sweep_file, tmp_path / "out", script)
    assert rc == 0, lines
    assert tune.fits == [[A, B], [A, B]] and tune.failure_configs == [{"max_failures": 0}] * 2
    retried = [line for line in lines if "retrying from its last checkpoint" in line]
    expected = [A] if named else [A, B]
    assert [line.split()[2] for line in retried] == expected, lines
    assert all("its worker was killed because the node ran low on memory" in line and "(retry 1 of 2)" in line
               for line in retried), retried
    assert lines[-1].startswith("maddpg-sweep: all 2 trials finished")


def test_when_retries_run_out_one_line_says_how_to_resume_and_the_report_is_written(
        monkeypatch, capsys, sweep_file, tmp_path):
    """B finishes; A's worker is killed for memory in every Tuner: after --max-retries 1 the sweep gives
    up on it, says how to resume in one line, and writes results.csv and report.md with B."""
    def script(fit, names, play):
        play.start(A, 4242)
        if B in names:
            play.start(B, 4343)
            play.finish(B)
        raise memory_kill(pid="4242")

    out = tmp_path / "out"
    rc, lines, tune = run_sweep(monkeypatch, capsys, sweep_file, out, script, "--max-retries", "1")
    assert rc == 1 and tune.fits == [[A, B], [A]], lines
    about_a = [line for line in lines if f"trial {A} " in line]
    assert len(about_a) == 2 and "(retry 1 of 1)" in about_a[0], lines
    assert "stopped 2 times" in about_a[1] and "giving up on it" in about_a[1]
    assert lines[-1].startswith("maddpg-sweep: 1 of 2 trials did not finish") and \
        "rerun the same command with a lower --max-concurrent" in lines[-1] and \
        "to resume them from their checkpoints" in lines[-1], lines[-1]
    with open(out / "results.csv") as f:
        assert [r["trial"] for r in csv.DictReader(f)] == [B]
    assert "Finished trials: 1 of 2" in (out / "report.md").read_text()


def test_an_error_that_is_not_a_lost_worker_is_not_swallowed():
    assert runtime.lost_workers(RuntimeError("a bug")) is None
    kind, reason, pids = runtime.lost_workers(memory_kill(pid="77"))
    assert kind == "memory" and pids == {77} and "low on memory" in reason
    try:
        raise RuntimeError("Caught unexpected exception") from ray.exceptions.NodeDiedError("node 3 died")
    except RuntimeError as e:
        assert runtime.lost_workers(e)[0] == "worker"


# ---------------------------------------------------------------------------- a trial's time and resumes

def test_a_killed_stretch_keeps_its_time(tmp_path):
    """A trial worker killed mid-training leaves the time it ran in segments.json (written while it
    runs), so that the resumed trial's wall_s counts it."""
    code = ("import time, maddpg_tf2.sweep.trial as t\n"
            "t.HEARTBEAT_S = 0.05\n"
            f"with t.timed_segment({str(tmp_path)!r}, 'train'):\n"
            "    print('in', flush=True)\n"
            "    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        assert proc.stdout.readline().strip() == "in"
        import time
        time.sleep(0.8)
    finally:
        proc.kill()
        proc.wait()
    killed = trial_mod.read_segments(str(tmp_path))["train"]
    assert len(killed) == 1 and 0.6 <= killed[0]["s"] < 5 and not killed[0]["restored"], killed


def test_a_resumed_trial_sums_its_stretches_and_says_it_was_resumed(tmp_path, monkeypatch):
    out, name = tmp_path / "out", "lr-0.01_s0"
    folder = trial_mod.trial_dir(str(out), name)
    os.makedirs(os.path.join(folder, "policy"))
    open(os.path.join(folder, "policy", "meta.json"), "w").close()  # the checkpoint the killed stretch saved
    with open(os.path.join(folder, trial_mod.SEGMENTS), "w") as f:
        json.dump({"train": [{"s": 40.0, "restored": False}]}, f)  # what the killed stretch left
    calls = []

    def fake_cli(argv, log_path):
        import pickle
        calls.append(argv)
        os.makedirs(os.path.join(folder, "curves"), exist_ok=True)
        with open(os.path.join(folder, "curves", name + "_rewards.pkl"), "wb") as f:
            pickle.dump([-5.0, -4.0], f)
        return 0

    monkeypatch.setattr(trial_mod, "_run_cli", fake_cli)
    result = trial_mod.run({"out": str(out), "name": name, "config_name": "lr-0.01", "point": {"lr": 0.01},
                            "seed": 0, "benchmark": False, "metric": "final_reward"})
    assert calls[0][-1] == "--restore"
    assert 40.0 <= result["wall_s"] < 45.0 and result["train_wall_s"] == result["wall_s"]
    assert result["resumed"] == 1 and result["segments"] == 2 and result["final_reward"] == -4.0
    text = report.results_csv([result, {**result, "trial": "other", "resumed": 0}], ["lr"])
    rows = list(csv.DictReader(text.splitlines()))
    assert [(r["trial"], r["resumed"]) for r in rows] == [(name, "1"), ("other", "0")]


# ---------------------------------------------------------------------------- --seeds

def test_seeds_on_the_command_line_replace_the_files(sweep_file):
    sweep = spec.load(str(sweep_file), seeds=spec.parse_seeds("7, 3", "--seeds"))
    assert sweep.seeds == [7, 3] and [t.name for t in sweep.trials] == ["lr-0.01_s7", "lr-0.01_s3"]
    without = sweep_file.with_name("noseeds.yaml")
    without.write_text(sweep_file.read_text().replace("seeds: [0, 1]\n", ""))
    assert spec.load(str(without), seeds=[5]).seeds == [5]
    with pytest.raises(spec.SweepSpecError, match="'seeds:' is missing.*--seeds 0,1,2"):
        spec.load(str(without))


@pytest.mark.parametrize("text,message", [
    ("0,x", "--seeds: every seed must be a whole number in 0..4294967295, got 'x'"),
    ("-1", "got '-1'"), ("1.5", "got '1.5'"), ("4294967296", "got '4294967296'"),
    ("", "--seeds needs at least one seed"), ("1,,2", "got ''"), ("2,2", "--seeds lists a seed twice"),
])
def test_bad_seeds_are_one_line_before_anything_starts(sweep_file, tmp_path, capsys, text, message):
    rc = command.main([str(sweep_file), "--out", str(tmp_path / "out"), "--seeds", text])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- the report's plot

@pytest.mark.parametrize("points", [1, 3, 9])
def test_report_legends_do_not_cover_the_plots(points):
    trials, results = [], []
    for g in range(points):
        config = f"lr-0.0{g}_num-units-{16 * (g + 1)}_batch-size-1024"
        for s in range(3):
            trials.append(types.SimpleNamespace(name=f"{config}_s{s}", config_name=config, seed=s))
            results.append({"trial": f"{config}_s{s}", "config": config, "seed": s, "metric": float(g - s)})
    fig = report.figure(types.SimpleNamespace(trials=trials, metric="final_reward"), results)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent(renderer)
        for other in fig.axes:  # neither plot area, nor its ticks and label
            assert not legend.overlaps(other.get_window_extent(renderer)), (ax.get_title(), other.get_title())
            assert not legend.overlaps(other.xaxis.get_tightbbox(renderer)), (ax.get_title(), other.get_title())
    import matplotlib.pyplot as plt
    plt.close(fig)


@pytest.mark.slow  # about 40 s: two local Rays, one with a memory monitor that kills every worker
def test_real_memory_monitor_kills_are_retried_and_the_finished_trial_is_kept(sweep_file, tmp_path):
    """End to end with Ray's own memory monitor (kill threshold 1% of the memory: every trial worker is
    killed): seed 0 finished in a first sweep (--seeds 0), seed 1 is killed on every try; one line per
    loss, the resume line, results.csv and report.md with seed 0, exit status 1, no traceback."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.path.join(root, "compat"),
                                                       os.environ.get("PYTHONPATH", "")]))
    env.pop("RAY_ADDRESS", None)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "maddpg_tf2.sweep.command", str(sweep_file), "--out", str(out), "--local-cpus", "2"]
    first = subprocess.run(cmd + ["--seeds", "0"], capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    killing = dict(env, RAY_memory_usage_threshold="0.01", RAY_memory_monitor_refresh_ms="200")
    second = subprocess.run(cmd + ["--max-retries", "1"], capture_output=True, text=True, env=killing, timeout=600)
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert second.returncode == 1 and all(line.startswith("maddpg-sweep: ") for line in lines), second.stderr
    about = [line for line in lines if f"trial {B} stopped" in line]
    assert len(about) == 2 and all("ran low on memory" in line for line in about), lines
    assert "giving up on it" in about[1] and "with a lower --max-concurrent" in lines[-1], lines
    with open(out / "results.csv") as f:
        assert [r["trial"] for r in csv.DictReader(f)] == [A]
    assert "Finished trials: 1 of 2" in (out / "report.md").read_text()
