"""Experiment trackers (MLflow, Weights & Biases) as one more sink of a run's outputs.

`RunTracker` is what `--track mlflow` / `--track wandb` add to a run: the Config as params, the
scalars the logger writes to TensorBoard (same names, same steps), the benchmark summary as
metrics, the curve plot and the display's animation as files, the checkpoint folder as a tag (and
its latest checkpoint's files with `--track-checkpoints`). The logger (logging.RunLogger) and the
playback drivers call it; nothing else does.

A tracker never stops a run: whatever it raises (an unreachable server, a bad URI, a full disk
under the local store) is one note on stderr, and the run goes on without that tracker.

Resuming: the ids of a run's tracker runs are kept in `tracking.json` beside its checkpoint
(--save-dir, written atomically). `--restore`, and `--benchmark` / `--display` of that checkpoint,
continue those runs. maddpg-sweep writes the same file into each trial's checkpoint folder before
the trial starts, with the sweep's parent run (MLflow) or group (W&B) and the trial's grid point,
so a trial run alone from its commands.txt is grouped as in the sweep.

Ground floor: imports nothing above it; MLflow and W&B only when a run asks for them.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
from typing import Callable, Dict, List, Optional

from maddpg_tf2 import fileio
from maddpg_tf2.errors import MissingExtraError
from maddpg_tf2.notes import notice

BACKENDS = ("mlflow", "wandb")
RUN_FILE = "tracking.json"  # beside the checkpoint: the tracker runs to continue, the sweep's grouping
_MODULES = {"mlflow": "mlflow", "wandb": "wandb"}
_NAMES = {"mlflow": "MLflow", "wandb": "Weights & Biases"}


# ----------------------------------------------------------------------------- checks and names

def check_installed(backends) -> None:
    """One line naming the extra when a tracker asked for is not installed (no import: a second)."""
    import importlib.util

    for backend in backends:
        if importlib.util.find_spec(_MODULES[backend]) is None:
            raise MissingExtraError(
                f"--track {backend} needs {_NAMES[backend]}, which is not installed; install the tracking "
                f"extra: pip install -e \".[tracking]\" (or pip install {_MODULES[backend]})")


def project_name(config) -> str:
    """--track-project, or the scenario's short name (what both trackers accept as a project)."""
    if config.track_project:
        return config.track_project
    name = str(config.scenario)
    if ":" in name:  # pettingzoo:mpe2.simple_spread_v3, gymnasium:Pendulum-v1
        name = name.split(":", 1)[1].rsplit(".", 1)[-1] if name.startswith("pettingzoo:") else name.split(":", 1)[1]
    else:
        name = os.path.splitext(os.path.basename(name.rstrip("/")))[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "maddpg"


def run_name(exp_name: str, seed: Optional[int]) -> str:
    """The run named after --exp-name and the seed (a sweep trial's name ends in _s<seed> already)."""
    if seed is None or exp_name.endswith(f"_s{seed}"):
        return exp_name
    return f"{exp_name}_s{seed}"


def params_of(config) -> Dict[str, object]:
    """Every Config field by name: numbers, strings, booleans and None as they are (W&B keeps their
    types; MLflow stores params as text), lists and mappings as JSON text."""
    import dataclasses

    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, (dict, list, tuple)):
            value = json.dumps(value, sort_keys=True, default=str)
        out[f.name] = value
    return out


def read_run_file(folder: Optional[str]) -> dict:
    """The tracking.json in `folder` ({} when there is none or it cannot be read)."""
    if not folder:
        return {}
    try:
        with open(os.path.join(folder, RUN_FILE), encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_run_file(folder: str, data: dict) -> None:
    fileio.write_text(os.path.join(folder, RUN_FILE), json.dumps(data, indent=1, sort_keys=True) + "\n")


def first_line(error: BaseException) -> str:
    """'Type: the first line of the message', at most 300 characters: what a note says of an error."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {line}"[:300] if line else type(error).__name__


# ----------------------------------------------------------------------------- MLflow

def _quiet_mlflow() -> None:
    """Bounded waits for a server that does not answer (MLflow's defaults retry for minutes, which
    would hold up training), and no start-up chatter; a user's own settings win."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    import logging

    for name in ("alembic", "mlflow.store.db.utils", "mlflow.tracking.fluent"):
        logging.getLogger(name).setLevel(logging.WARNING)


def mlflow_client(tracking_uri: Optional[str] = None):
    """(MlflowClient, its resolved tracking URI): MLFLOW_TRACKING_URI or MLflow's own default."""
    _quiet_mlflow()
    import mlflow

    uri = tracking_uri or mlflow.get_tracking_uri()
    return mlflow.MlflowClient(tracking_uri=uri), uri


def mlflow_experiment(client, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    try:
        return client.create_experiment(name)
    except Exception:  # another process created it first
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id


class MlflowRun:
    """One MLflow run through MlflowClient (explicit run ids: no process-global active run)."""

    name = "mlflow"

    def __init__(self, project: str, run_name: str, previous: Optional[dict], parent: Optional[dict],
                 tags: Dict[str, str]):
        self.client, self.uri = mlflow_client((parent or {}).get("tracking_uri"))
        self.resumed = False
        run = None
        if previous and previous.get("run_id"):
            try:
                run = self.client.get_run(previous["run_id"])
                self.resumed = True
            except Exception:
                notice(f"--track mlflow: run {previous['run_id']} is not in {self.uri}; starting a new run")
        if run is None:
            experiment = (parent or {}).get("experiment_id") or mlflow_experiment(self.client, project)
            tags = dict(tags)
            if parent and parent.get("run_id"):
                tags["mlflow.parentRunId"] = parent["run_id"]  # what the UI nests child runs by
            run = self.client.create_run(experiment, run_name=run_name, tags=tags)
        self.run_id = run.info.run_id
        self.experiment_id = run.info.experiment_id
        if self.resumed:
            self.client.update_run(self.run_id, status="RUNNING")
            if tags:
                self.log_tags(tags)

    def ids(self) -> dict:
        return {"run_id": self.run_id, "experiment_id": self.experiment_id, "tracking_uri": self.uri}

    def existing_params(self) -> Dict[str, str]:
        return dict(self.client.get_run(self.run_id).data.params) if self.resumed else {}

    def log_params(self, params: Dict[str, object]) -> None:
        from mlflow.entities import Param

        items = [Param(k, str(v)[:6000]) for k, v in params.items()]
        for i in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            self.client.log_batch(self.run_id, params=items[i:i + 100])

    def log_tags(self, tags: Dict[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_metrics(self, metrics: Dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, v, now, int(step)) for k, v in metrics.items()]
        for i in range(0, len(items), 1000):
            self.client.log_batch(self.run_id, metrics=items[i:i + 1000])

    def log_summary(self, metrics: Dict[str, float]) -> None:
        self.log_metrics(metrics, 0)

    def log_file(self, path: str, folder: str = "") -> None:
        self.client.log_artifact(self.run_id, path, artifact_path=folder or None)

    def finish(self, status: str) -> None:
        self.client.set_terminated(self.run_id, {"ok": "FINISHED", "failed": "FAILED", "killed": "KILLED"}[status])


# ----------------------------------------------------------------------------- Weights & Biases

def wandb_settings():
    """No console capture (stdout keeps the original's lines), no system-metrics sampler, no code."""
    import wandb

    return wandb.Settings(console="off", silent=True, x_disable_stats=True, x_disable_meta=True,
                          x_disable_machine_info=True, save_code=False)


class WandbRun:
    """One W&B run; WANDB_MODE, WANDB_DIR, WANDB_ENTITY and the API key come from W&B's environment."""

    name = "wandb"

    def __init__(self, project: str, run_name: str, previous: Optional[dict], parent: Optional[dict],
                 tags: Dict[str, str], job_type: str = "train"):
        import wandb

        previous = previous or {}
        kwargs = dict(project=previous.get("project") or project, name=run_name, settings=wandb_settings(),
                      reinit="finish_previous", job_type=job_type)
        if previous.get("id"):
            kwargs.update(id=previous["id"], resume="allow")
        folder = previous.get("dir") or (parent or {}).get("dir")
        if folder:
            kwargs["dir"] = folder
        if parent and parent.get("group"):
            kwargs["group"] = parent["group"]
        if previous.get("id"):
            _not_in_the_same_second(folder, previous["id"])
        self.run = wandb.init(**kwargs)
        self.resumed = bool(previous.get("id"))
        self.project, self.dir = kwargs["project"], folder or os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(self.run.dir))))  # <dir>/wandb/<run folder>/files
        if tags:
            self.log_tags(tags)

    def ids(self) -> dict:
        return {"id": self.run.id, "project": self.project, "dir": self.dir}

    def existing_params(self) -> Dict[str, str]:
        return {k: str(v) for k, v in dict(self.run.config).items()} if self.resumed else {}

    def log_params(self, params: Dict[str, object]) -> None:
        self.run.config.update(params, allow_val_change=True)

    def log_tags(self, tags: Dict[str, str]) -> None:
        # W&B tags are bare labels; key-value tags go in the summary, where the UI shows and filters them.
        self.run.summary.update({f"tag/{k}": str(v) for k, v in tags.items()})

    def log_metrics(self, metrics: Dict[str, float], step: int) -> None:
        self.run.log(dict(metrics), step=int(step))

    def log_summary(self, metrics: Dict[str, float]) -> None:
        self.run.summary.update(dict(metrics))

    def log_file(self, path: str, folder: str = "") -> None:
        # Copied into the run's files/ (a symlink would dangle once the run's outputs move or go).
        dest_dir = os.path.join(self.run.dir, folder)
        os.makedirs(dest_dir, exist_ok=True)
        dest = os.path.join(dest_dir, os.path.basename(path))
        shutil.copyfile(path, dest)
        self.run.save(dest, base_path=self.run.dir, policy="now")

    def finish(self, status: str) -> None:
        self.run.finish(exit_code={"ok": 0, "failed": 1, "killed": 130}[status])


def _not_in_the_same_second(folder: Optional[str], run_id: str) -> None:
    """W&B names a run's local folder <mode>-run-<local time to the second>-<id>: a resumed run started
    in the second an earlier invocation of it started (a --benchmark right after training) would
    write over that invocation's log. Wait for the next second then."""
    import glob
    import time

    base = os.path.join(folder or os.environ.get("WANDB_DIR") or os.getcwd(), "wandb")
    for _ in range(3):
        stamp = time.strftime("%Y%m%d_%H%M%S")
        if not glob.glob(os.path.join(glob.escape(base), f"*run-{stamp}-{run_id}")):
            return
        time.sleep(1.0)


OPENERS: Dict[str, Callable] = {"mlflow": MlflowRun, "wandb": WandbRun}


# ----------------------------------------------------------------------------- the run's sink

class RunTracker:
    """The trackers of one maddpg-train run (config.track), each failing on its own, quietly.

    mode: 'train' (ids written to --save-dir's tracking.json, continued with --restore), 'benchmark'
    or 'display' (continue the run named in the loaded checkpoint's tracking.json, else a new one).
    exp_name: a function giving the run's current file stem (a restore can change it). Opened on
    first use, so a run refused at start-up creates no tracker run.
    """

    def __init__(self, config, mode: str = "train", exp_name: Optional[Callable[[], str]] = None):
        self.config = config
        self.mode = mode
        self._exp_name = exp_name or (lambda: config.exp_name or project_name(config))
        self._backends: Dict[str, object] = {}
        self._opened = False
        self._closed = False

    @property
    def active(self) -> List[str]:
        """The trackers still logging."""
        return list(self._backends)

    # ------------------------------------------------------------------ guarded calls
    def _guard(self, backend: str, what: str, fn) -> bool:
        try:
            fn()
            return True
        except Exception as e:  # a tracker never stops training: note it once, go on without it
            notice(f"--track {backend}: {what} failed ({first_line(e)}); the run goes on without "
                   f"{_NAMES[backend]}")
            self._backends.pop(backend, None)
            return False

    def _each(self, what: str, call) -> None:
        self._open()
        for name, run in list(self._backends.items()):
            self._guard(name, what, lambda: call(run))

    # ------------------------------------------------------------------ open
    def _folders(self):
        """(where the run ids are read, where they are written: None for a read-only checkpoint)."""
        c = self.config
        if self.mode == "train":
            return (c.load_dir or c.save_dir) if c.restore else c.save_dir, c.save_dir
        return c.load_dir or c.save_dir, None

    def _open(self) -> None:
        if self._opened:
            return
        self._opened = True
        c = self.config
        read_from, write_to = self._folders()
        before = read_run_file(read_from)
        here = read_run_file(write_to) if write_to and write_to != read_from else before
        sweep = here.get("sweep") or before.get("sweep") or {}
        continue_runs = self.mode != "train" or c.restore
        previous = before.get("runs", {}) if continue_runs else {}
        project, name = project_name(c), run_name(self._exp_name(), c.seed)
        tags = {"maddpg.mode": self.mode, "maddpg.checkpoint_dir": os.path.abspath(c.save_dir if self.mode == "train"
                                                                                 else (c.load_dir or c.save_dir)),
                "maddpg.exp_name": self._exp_name()}
        for backend in c.track:
            def start(backend=backend):
                opener = OPENERS[backend]
                self._backends[backend] = opener(project, name, previous.get(backend), sweep.get(backend), tags)
            self._guard(backend, "starting a run", start)
        started = before.get("params") if continue_runs else None
        for backend, run in list(self._backends.items()):
            self._guard(backend, "logging the config",
                        lambda run=run: self._log_params(run, sweep.get("params"), started or {}))
        if write_to and self._backends:
            runs = dict(here.get("runs", {}))
            runs.update({b: r.ids() for b, r in self._backends.items()})
            data = dict(here, runs=runs)
            # the params the runs started with: a resumed W&B offline run cannot fetch its config
            data["params"] = started or {k: str(v) for k, v in self._params(sweep.get("params")).items()}
            if sweep:
                data["sweep"] = sweep
            try:
                write_run_file(write_to, data)
            except OSError as e:
                notice(f"--track: cannot write {os.path.join(write_to, RUN_FILE)} ({first_line(e)}); a --restore "
                       f"will start new tracker runs")
        for backend, run in self._backends.items():
            where = run.ids().get("tracking_uri") or run.ids().get("dir")
            notice(f"--track {backend}: {'continuing' if run.resumed else 'started'} run {name} "
                   f"({(run.ids().get('run_id') or run.ids().get('id'))}) in {where}")

    def _params(self, extra: Optional[dict]) -> Dict[str, object]:
        params = params_of(self.config)
        params.update(extra or {})
        return params

    def _log_params(self, run, extra: Optional[dict], started: Dict[str, str]) -> None:
        params = self._params(extra)
        existing = run.existing_params() if run.resumed else {}
        if run.resumed and not existing:
            existing = started  # what tracking.json recorded at the run's start
        new = {k: v for k, v in params.items() if k not in existing}
        if new and not (run.resumed and not existing):  # a resumed run whose params are unknown keeps them
            run.log_params(new)
        # A resumed run's params stay those it started with; what this invocation (a --restore, a
        # --benchmark) sets differently is kept as tags.
        changed = {f"changed.{self.mode}.{k}": v for k, v in params.items()
                   if k in existing and existing[k] != str(v)}
        if changed:
            run.log_tags(changed)

    # ------------------------------------------------------------------ what a run logs
    def scalars(self, metrics: Dict[str, float], step: int) -> None:
        """The logger's scalars at their step (finite ones: a tracker may refuse NaN)."""
        clean = {k: float(v) for k, v in metrics.items() if math.isfinite(float(v))}
        if clean:
            self._each("logging metrics", lambda run: run.log_metrics(clean, step))

    def summary(self, metrics: Dict[str, float]) -> None:
        """Numbers that describe the whole run (a benchmark's), once."""
        clean = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}
        if clean:
            self._each("logging the summary", lambda run: run.log_summary(clean))

    def artifact(self, path: Optional[str], folder: str = "") -> None:
        if path and os.path.isfile(path):
            self._each(f"storing {os.path.basename(path)}", lambda run: run.log_file(path, folder))

    def close(self) -> None:
        """Checkpoint files (with --track-checkpoints), then each run's end; once."""
        if self._closed:
            return
        self._open()
        self._closed = True
        if self.config.track_checkpoints and self.mode == "train":
            for path in latest_checkpoint_files(self.config.save_dir):
                self.artifact(path, "checkpoint")
        error = sys.exc_info()[0]
        status = "ok" if error is None else "killed" if issubclass(error, KeyboardInterrupt) else "failed"
        for name, run in list(self._backends.items()):
            self._guard(name, "ending the run", lambda run=run: run.finish(status))
        self._backends.clear()


def latest_checkpoint_files(folder: str) -> List[str]:
    """The files of the newest ckpt-N in `folder` (weights, their description) and the state files
    (not the replay: it is data, not weights, and large)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    numbers = [int(m.group(1)) for n in names for m in [re.match(r"ckpt-(\d+)\.", n)] if m]
    if not numbers:
        return []
    stem = f"ckpt-{max(numbers)}."
    keep = [n for n in names if n.startswith(stem) and not n.endswith(".replay.npz")]
    keep += [n for n in ("checkpoint", "meta.json") if n in names]
    return [os.path.join(folder, n) for n in sorted(keep) if os.path.isfile(os.path.join(folder, n))]


def benchmark_metrics_of(summary: dict) -> Dict[str, float]:
    """A benchmark summary as flat metrics: benchmark/<metric> (mean), benchmark/<metric>/stderr,
    benchmark/episodes."""
    out = {"benchmark/episodes": summary.get("episodes")}
    for name, entry in (summary.get("metrics") or {}).items():
        if isinstance(entry, dict):
            out[f"benchmark/{name}"] = entry.get("mean")
            out[f"benchmark/{name}/stderr"] = entry.get("stderr")
    return {k: float(v) for k, v in out.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def track_outputs(config, exp_name: str, mode: str, summary: Optional[dict] = None, files=()) -> None:
    """--benchmark / --display of a tracked run: the summary as metrics and the files as artifacts,
    in the run named by the checkpoint's tracking.json (or a new one)."""
    if not config.track:
        return
    tracker = RunTracker(config, mode=mode, exp_name=lambda: exp_name)
    if summary:
        tracker.summary(benchmark_metrics_of(summary))
    for path in files:
        tracker.artifact(path, mode)
    tracker.close()
