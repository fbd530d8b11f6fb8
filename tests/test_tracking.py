"""Issue 28: --track mlflow / wandb. A tiny run (trained, resumed with --restore, benchmarked,
displayed) and a two-seed sweep, tracked to a local MLflow store (sqlite in tmp) and to offline W&B
(WANDB_MODE=offline, WANDB_DIR in tmp), read back with each library's own reader: MlflowClient
(params, metric histories with their steps, artifacts) and `wandb leet inspect --json` (W&B's reader
of its .wandb transaction log: config, history rows with their steps, files). Everything runs in this
process once per module (the libraries load once); the sweep's trials run one after another here
instead of on Ray (the same trial code Ray calls; tests/test_tracking.py::test_sweep_on_ray_* runs
the real thing, marked slow). Tracker failures: a bad MLFLOW_TRACKING_URI and an exception injected
into the sink are one note each, and the run goes on and keeps its checkpoints."""
import contextlib
import csv
import io
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("wandb")

from maddpg_tf2 import cli, tracking  # noqa: E402
from maddpg_tf2.config import Config  # noqa: E402

TINY = ["--scenario", "simple", "--max-episode-len", "10", "--batch-size", "16", "--buffer-size", "2000",
        "--num-envs", "4", "--save-rate", "10", "--quiet"]
BOTH = ["--track", "mlflow", "--track", "wandb"]


def run_cli(argv):
    """cli.main in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


class Connections:
    """Every inet socket of this process and its children (wandb-core) seen while running."""

    def __init__(self):
        import psutil

        self.psutil, self.seen, self._stop = psutil, set(), threading.Event()
        self.before = self._sample()

    def _sample(self):
        me = self.psutil.Process()
        found = set()
        for p in [me] + me.children(recursive=True):
            try:
                for c in p.net_connections(kind="inet"):
                    found.add((c.status, c.laddr.ip if c.laddr else "", c.raddr.ip if c.raddr else ""))
            except (self.psutil.Error, OSError):
                pass
        return found

    def __enter__(self):
        def poll():
            while not self._stop.wait(0.05):
                self.seen |= self._sample()
        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.seen |= self._sample()

    def outside(self):
        """Sockets that listen on, or talk to, an address other than loopback."""
        def loop(ip):
            return not ip or ip.startswith("127.") or ip in ("::1", "::ffff:127.0.0.1")
        new = self.seen - self.before
        return sorted(c for c in new if (c[0] == "LISTEN" and not loop(c[1])) or not loop(c[2]))


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tracking")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp}/mlflow.db")
        mp.setenv("WANDB_MODE", "offline")
        mp.setenv("WANDB_DIR", str(tmp))
        mp.setenv("WANDB_SILENT", "true")
        # Were W&B to reach for the network in offline mode, it would find nothing there.
        mp.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
        mp.chdir(tmp)
        yield tmp


@pytest.fixture(scope="module")
def tracked_run(stores):
    """Train 40 episodes, resume to 60 with --restore, benchmark, display: all four tracked to both."""
    tmp = stores
    common = TINY + BOTH + ["--exp-name", "run", "--seed", "3", "--save-dir", f"{tmp}/policy/",
                            "--plots-dir", f"{tmp}/curves/", "--save-replay"]
    results = {}
    with Connections() as conns:
        results["train"] = run_cli(common + ["--num-episodes", "40", "--track-checkpoints"])
        results["restore"] = run_cli(common + ["--num-episodes", "60", "--restore"])
        results["benchmark"] = run_cli(common + ["--benchmark", "--benchmark-iters", "40",
                                                 "--benchmark-dir", f"{tmp}/bench/"])
        results["display"] = run_cli(common + ["--display", "--display-episodes", "1",
                                               "--display-file", f"{tmp}/show.gif"])
    ids = json.loads((tmp / "policy" / tracking.RUN_FILE).read_text())["runs"]
    return tmp, results, ids, conns


def sweep_in_process(path, out):
    """maddpg-sweep's own main tracked to both, its trials run one after another in this process by the
    function Ray would call; (exit code, stderr)."""
    from maddpg_tf2.distributed import runtime
    from maddpg_tf2.sweep import command, runner, trial

    def serial(out, sweep, todo, *args):
        for t in todo:
            trial.run(trial.payload(out, sweep, t))
        return "done"

    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.setattr(runner, "run_trials", serial)
        mp.setattr(runtime, "connect", lambda *a, **k: None)
        code = command.main([str(path), "--out", str(out), "--track", "mlflow", "--track", "wandb"])
    return code, err.getvalue()


def metric_rows(tmp):
    with open(tmp / "curves" / "run_metrics.csv") as f:
        return [(int(r["step"]), r["name"], float(r["value"])) for r in csv.DictReader(f)]


def mlflow_client(tmp):
    return mlflow.MlflowClient(f"sqlite:///{tmp}/mlflow.db")


def artifacts(client, run_id, path=None):
    for a in client.list_artifacts(run_id, path):
        yield from (artifacts(client, run_id, a.path) if a.is_dir else [a.path])


def wandb_records_of(run_dirs):
    """{folder: the records of its offline run's .wandb log}, as W&B's own reader prints them (the
    readers run side by side)."""
    procs = {d: subprocess.Popen([sys.executable, "-m", "wandb", "leet", "inspect", "--json", str(d)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for d in run_dirs}
    out = {}
    for d, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        out[d] = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return out



def wandb_run_dirs(tmp, run_id):
    """The offline folders of one W&B run id: one per invocation (train, --restore, ...), which
    `wandb sync` uploads as one run."""
    return sorted(p for p in (tmp / "wandb").glob(f"offline-run-*-{run_id}") if p.is_dir())


def test_every_invocation_succeeds_and_notes_its_tracker_run(tracked_run):
    _, results, ids, _ = tracked_run
    for name, (code, out, err) in results.items():
        assert code == 0, (name, err)
    assert "--track mlflow: started run run_s3" in results["train"][2]
    for name in ("restore", "benchmark", "display"):
        assert f"--track mlflow: continuing run run_s3 ({ids['mlflow']['run_id']})" in results[name][2]
        assert f"--track wandb: continuing run run_s3 ({ids['wandb']['id']})" in results[name][2]
    # stdout keeps the original's lines only: the trackers' notes go to stderr
    assert "track" not in results["train"][1]


def test_mlflow_has_the_config_the_curve_with_its_steps_and_the_files(tracked_run):
    tmp, results, ids, _ = tracked_run
    client = mlflow_client(tmp)
    run = client.get_run(ids["mlflow"]["run_id"])
    assert run.info.run_name == "run_s3" and run.info.status == "FINISHED"
    params = run.data.params
    assert set(Config.field_names()) <= set(params)
    assert params["batch_size"] == "16" and params["num_episodes"] == "40" and params["seed"] == "3"
    assert run.data.tags["changed.train.num_episodes"] == "60"  # the --restore's value, kept beside
    assert run.data.tags["maddpg.checkpoint_dir"] == str(tmp / "policy")
    # the scalars TensorBoard gets, at the same steps: compare with the metrics CSV (which holds the
    # --restore's part of the run), row for row
    rows = metric_rows(tmp)
    names = {n for _, n, _ in rows}
    assert {"reward/episode", "reward/agent_0", "loss/critic_0", "loss/actor_0", "q/target_mean_0"} <= names
    for name in names:
        history = [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, name)]
        assert sorted(h for h in history if h[0] > 400) == sorted((s, v) for s, n, v in rows if n == name), name
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "reward/episode")]
    assert len(steps) == 6 and steps == sorted(steps) and steps[-1] == 600  # 60 episodes x 10 steps
    # the benchmark summary as metrics
    summary = json.loads((tmp / "bench" / "run_summary.json").read_text())
    assert run.data.metrics["benchmark/reward_per_episode"] == pytest.approx(
        summary["metrics"]["reward_per_episode"]["mean"])
    files = set(artifacts(client, run.info.run_id))
    assert {"curves/run_curve.png", "benchmark/run_summary.json", "display/show.gif"} <= files
    assert any(f.startswith("checkpoint/ckpt-") and f.endswith(".index") for f in files)  # --track-checkpoints
    local = client.download_artifacts(run.info.run_id, "display/show.gif", str(tmp / "dl"))
    assert open(local, "rb").read() == (tmp / "show.gif").read_bytes()


def test_wandb_offline_run_has_the_config_the_curve_with_its_steps_and_the_files(tracked_run):
    tmp, _, ids, _ = tracked_run
    folders = wandb_run_dirs(tmp, ids["wandb"]["id"])
    assert len(folders) == 4  # train, --restore, --benchmark, --display: one run id
    by_folder = wandb_records_of(folders)
    records = [r for folder in folders for r in by_folder[folder]]
    run = next(r["run"] for r in records if r["type"] == "run")
    assert run["display_name"] == "run_s3" and run["project"] == "simple"
    config = {}
    for r in records:  # in order: what `wandb sync` would leave as the run's config
        if r["type"] == "config":
            config.update(r["config"].get("update") or {})
    assert config["batch_size"] == 16 and config["lr"] == 0.01 and config["num_episodes"] == 40
    assert "changed.train.num_episodes" not in config  # a resumed run's config stays its start's
    history = [(int(r["history"]["step"]["num"]), r["history"]["item"]) for r in records if r["type"] == "history"]
    assert [s for s, _ in history] == [120, 200, 320, 400, 520, 600]
    rows = metric_rows(tmp)
    for name in ("reward/episode", "loss/critic_0"):
        assert sorted((s, item[name]) for s, item in history if s > 400) == sorted(
            (s, v) for s, n, v in rows if n == name)
    summary = {}
    for r in records:
        if r["type"] == "summary":
            summary.update(r["summary"].get("update") or {})
    assert "benchmark/reward_per_episode" in summary
    assert summary["tag/changed.train.num_episodes"] == "60" and summary["tag/changed.benchmark.benchmark"] == "True"
    files = {f["path"] for r in records if r["type"] == "files" for f in r["files"]["files"]}
    assert {"curves/run_curve.png", "benchmark/run_summary.json", "display/show.gif"} <= files
    copied = [folder / "files" / "display" / "show.gif" for folder in folders]
    assert any(p.is_file() and p.read_bytes() == (tmp / "show.gif").read_bytes() for p in copied)


def test_offline_wandb_and_local_mlflow_touch_no_network(tracked_run):
    *_, conns = tracked_run
    assert conns.outside() == []


# ----------------------------------------------------------------------------- the sweep

@pytest.fixture(scope="module")
def tracked_sweep(stores):
    """A two-seed sweep through maddpg-sweep's own main, its trials run here one after another (the
    function Ray runs for each), tracked to both."""
    import yaml

    tmp = stores
    path = tmp / "two.yaml"
    path.write_text(yaml.safe_dump({
        "base": {"scenario": "simple", "max-episode-len": 10, "batch-size": 16, "buffer-size": 2000,
                 "num-envs": 4, "save-rate": 10, "num-episodes": 30},
        "grid": {"lr": [0.01]}, "seeds": [0, 1], "metric": "final_reward"}))

    code, err = sweep_in_process(path, tmp / "sweep")
    return tmp, code, err, json.loads((tmp / "sweep" / tracking.RUN_FILE).read_text())["parent"]


def test_sweep_parent_run_holds_the_trials_and_the_estimates(tracked_sweep):
    tmp, code, err, parent = tracked_sweep
    assert code == 0, err
    client = mlflow_client(tmp)
    top = client.get_run(parent["mlflow"]["run_id"])
    assert top.info.run_name == "two" and top.info.status == "FINISHED"
    children = client.search_runs([top.info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{top.info.run_id}'")
    assert sorted(c.info.run_name for c in children) == ["lr-0.01_s0", "lr-0.01_s1"]
    finals = []
    for child in children:
        p = child.data.params
        assert p["sweep.grid_point"] == "lr-0.01" and p["sweep.point.lr"] == "0.01"
        assert p["sweep.seed"] == p["seed"] and p["sweep.trial"] == child.info.run_name
        history = client.get_metric_history(child.info.run_id, "reward/episode")
        assert [m.step for m in history] == [120, 200, 320]  # every save point at its step (4 worlds)
        finals.append(history[-1].value)
    from maddpg_tf2.sweep import stats
    iqm = stats.interval([finals], "iqm")
    assert top.data.metrics["lr-0.01/iqm"] == pytest.approx(iqm.value)
    assert top.data.metrics["lr-0.01/iqm_low"] == pytest.approx(iqm.low)
    assert top.data.metrics["lr-0.01/iqm_high"] == pytest.approx(iqm.high)
    assert top.data.metrics["lr-0.01/n"] == 2
    assert {"report/report.md", "report/results.csv"} <= set(artifacts(client, top.info.run_id))


def test_sweep_trials_are_one_wandb_group_with_a_sweep_run(tracked_sweep):
    tmp, code, _, parent = tracked_sweep
    group = parent["wandb"]["group"]
    runs = {}
    by_folder = wandb_records_of(sorted((tmp / "wandb").glob("offline-run-*")))
    for records in by_folder.values():
        run = next(r["run"] for r in records if r["type"] == "run")
        if run.get("run_group") == group:
            runs.setdefault(run["display_name"], set()).add(run["run_id"])
    assert set(runs) == {"lr-0.01_s0", "lr-0.01_s1", "two-sweep"}
    assert all(len(ids) == 1 for ids in runs.values())
    summary_run = next(iter(runs["two-sweep"]))
    records = [r for f in wandb_run_dirs(tmp, summary_run) for r in by_folder[f]]
    summary = {}
    for r in records:
        if r["type"] == "summary":
            summary.update(r["summary"].get("update") or {})
    assert summary["lr-0.01/n"] == 2 and "lr-0.01/iqm_low" in summary


def test_a_resumed_trial_and_a_rerun_sweep_continue_their_runs(tracked_sweep):
    """A trial that lost its result (as a killed worker leaves it) resumes from its checkpoint with
    --restore, into the same tracker runs; the rerun sweep continues its parent run."""
    tmp, _, _, parent = tracked_sweep
    folder = tmp / "sweep" / "trials" / "lr-0.01_s0"
    before = json.loads((folder / "policy" / tracking.RUN_FILE).read_text())["runs"]
    (folder / "result.json").unlink()
    (folder / "trained.json").unlink()
    # killed before its last save: the newest checkpoint never landed, the one before it is there
    numbers = sorted({int(p.name.split(".")[0].split("-")[1]) for p in (folder / "policy").glob("ckpt-*.index")})
    assert len(numbers) >= 2
    for path in (folder / "policy").glob(f"ckpt-{numbers[-1]}.*"):
        path.unlink()

    code, err = sweep_in_process(tmp / "two.yaml", tmp / "sweep")
    assert code == 0, err
    log = (folder / "train.log").read_text()
    assert "--restore" in log.splitlines()[-1] or "--restore" in log
    assert f"--track mlflow: continuing run lr-0.01_s0 ({before['mlflow']['run_id']})" in log
    assert f"--track wandb: continuing run lr-0.01_s0 ({before['wandb']['id']})" in log
    again = json.loads((tmp / "sweep" / tracking.RUN_FILE).read_text())["parent"]
    assert again["mlflow"]["run_id"] == parent["mlflow"]["run_id"] and again["wandb"]["group"] == parent["wandb"]["group"]
    client = mlflow_client(tmp)
    children = client.search_runs([parent["mlflow"]["experiment_id"]],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent['mlflow']['run_id']}'")
    assert len(children) == 2


# ----------------------------------------------------------------------------- failures

class Failing:
    """A tracker backend that fails where it is told to."""
    name = "mlflow"
    calls = []

    def __init__(self, *args, fail_on="log_metrics", error=RuntimeError("injected")):
        self.fail_on, self.error, self.resumed = fail_on, error, False

    def _maybe(self, what):
        Failing.calls.append(what)
        if what == self.fail_on:
            raise self.error

    def ids(self):
        return {"run_id": "fake"}

    def existing_params(self):
        return {}

    def log_params(self, params):
        self._maybe("log_params")

    def log_tags(self, tags):
        self._maybe("log_tags")

    def log_metrics(self, metrics, step):
        self._maybe("log_metrics")

    def log_summary(self, metrics):
        self._maybe("log_summary")

    def log_file(self, path, folder=""):
        self._maybe("log_file")

    def finish(self, status):
        self._maybe("finish")


def test_an_exception_in_the_sink_is_one_note_and_training_goes_on(tmp_path, monkeypatch):
    Failing.calls = []
    monkeypatch.setattr(tracking, "OPENERS", dict(tracking.OPENERS, mlflow=Failing))
    code, out, err = run_cli(TINY + ["--num-episodes", "30", "--exp-name", "f", "--track", "mlflow",
                                     "--save-dir", f"{tmp_path}/policy/", "--plots-dir", f"{tmp_path}/curves/"])
    assert code == 0, err
    notes = [line for line in err.splitlines() if "failed" in line]
    assert notes == ["maddpg-train: note: --track mlflow: logging metrics failed (RuntimeError: injected); "
                     "the run goes on without MLflow"], err
    assert Failing.calls.count("log_metrics") == 1  # dropped after the failure: no more calls
    assert "steps: 320, episodes: 30" in out  # every save line, the last included
    assert (tmp_path / "policy" / "meta.json").is_file() and (tmp_path / "curves" / "f_rewards.pkl").is_file()


def test_a_full_disk_under_the_store_is_one_note(tmp_path, monkeypatch, capsys):
    import errno

    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(tracking, "OPENERS", dict(tracking.OPENERS, mlflow=lambda *a: Failing(
        fail_on="log_file", error=full)))
    c = Config(track=("mlflow",), save_dir=str(tmp_path))
    t = tracking.RunTracker(c)
    png = tmp_path / "x.png"
    png.write_bytes(b"png")
    t.scalars({"reward/episode": 1.0}, 10)
    t.artifact(str(png))
    t.artifact(str(png))
    t.close()
    err = capsys.readouterr().err
    assert err.count("failed") == 1 and "No space left on device" in err


def test_an_unreachable_tracking_server_is_one_note(tmp_path, monkeypatch, capsys):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    t = tracking.RunTracker(Config(track=("mlflow",), save_dir=str(tmp_path), exp_name="u"))
    t.scalars({"reward/episode": 1.0}, 10)
    t.scalars({"reward/episode": 2.0}, 20)
    t.close()
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: note: --track mlflow: starting a run failed")
    assert t.active == []


def test_a_bad_tracking_uri_is_one_note(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://x")
    t = tracking.RunTracker(Config(track=("mlflow",), save_dir=str(tmp_path), exp_name="u"))
    t.scalars({"reward/episode": 1.0}, 10)
    t.close()
    err = capsys.readouterr().err
    assert err.count("maddpg-train: note: --track mlflow: starting a run failed") == 1, err


# ----------------------------------------------------------------------------- flags

@pytest.mark.parametrize("argv, text", [
    (["--track-project", "p"], "--track-project needs --track mlflow or --track wandb"),
    (["--track-checkpoints"], "--track-checkpoints needs --track mlflow or --track wandb"),
])
def test_tracking_flags_without_a_tracker_are_refused(argv, text, capsys):
    assert cli.main(["--scenario", "simple"] + argv) == 2
    assert text in capsys.readouterr().err


def test_yaml_track_takes_a_name_or_a_list(tmp_path):
    (tmp_path / "a.yaml").write_text("track: [mlflow, wandb]\ntrack-project: p\n")
    (tmp_path / "b.yaml").write_text("track: wandb\n")
    (tmp_path / "c.yaml").write_text("track: [mlflow, tensorboard]\n")
    assert cli.parse_config(["--config", str(tmp_path / "a.yaml")]).track == ("mlflow", "wandb")
    assert cli.parse_config(["--config", str(tmp_path / "b.yaml")]).track == ("wandb",)
    with pytest.raises(cli.UsageError, match="must be one of mlflow, wandb or a list of them"):
        cli.parse_config(["--config", str(tmp_path / "c.yaml")])
    assert cli.parse_config(["--track", "mlflow", "--track", "mlflow"]).track == ("mlflow",)


def test_a_missing_tracker_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    with pytest.raises(tracking.MissingExtraError, match=r"pip install -e \"\.\[tracking\]\""):
        cli.parse_config(["--track", "wandb"])


def test_a_sweep_file_leaves_tracking_to_the_flag(tmp_path):
    from maddpg_tf2.sweep import spec

    (tmp_path / "s.yaml").write_text("base: {track: mlflow}\ngrid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\n")
    with pytest.raises(spec.SweepSpecError, match="maddpg-sweep --track"):
        spec.load(str(tmp_path / "s.yaml"))


# ----------------------------------------------------------------------------- on Ray (slow)

@pytest.mark.slow
def test_sweep_on_ray_tracks_every_trial_under_the_parent(tmp_path):
    import yaml

    path = tmp_path / "ray.yaml"
    path.write_text(yaml.safe_dump({
        "base": {"scenario": "simple", "max-episode-len": 10, "batch-size": 16, "buffer-size": 2000,
                 "num-envs": 4, "save-rate": 10, "num-episodes": 30},
        "grid": {"lr": [0.01]}, "seeds": [0, 1], "metric": "reward_per_episode",
        "benchmark": {"benchmark-iters": 40}}))
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path}/mlflow.db", WANDB_MODE="offline",
               WANDB_DIR=str(tmp_path), RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    r = subprocess.run([sys.executable, "-m", "maddpg_tf2.sweep.command", str(path), "--out", str(tmp_path / "out"),
                        "--local-cpus", "2", "--track", "mlflow", "--track", "wandb"],
                       capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    parent = json.loads((tmp_path / "out" / tracking.RUN_FILE).read_text())["parent"]
    client = mlflow_client(tmp_path)
    children = client.search_runs([parent["mlflow"]["experiment_id"]],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent['mlflow']['run_id']}'")
    assert sorted(c.info.run_name for c in children) == ["lr-0.01_s0", "lr-0.01_s1"]
    for child in children:  # trained and benchmarked in one run each
        assert "benchmark/reward_per_episode" in child.data.metrics and "reward/episode" in child.data.metrics
    top = client.get_run(parent["mlflow"]["run_id"])
    assert "lr-0.01/iqm" in top.data.metrics
    groups = set()
    for records in wandb_records_of(sorted((tmp_path / "wandb").glob("offline-run-*"))).values():
        groups.add(next(rec["run"] for rec in records if rec["type"] == "run").get("run_group"))
    assert groups == {parent["wandb"]["group"]}
