"""maddpg-sweep --track mlflow|wandb: every trial its own tracker run, grouped by the sweep.

MLflow: a parent run named after the sweep file (its spec as params, at the end the IQM and mean
of every grid point with their 95% intervals as metrics and report.md, results.csv, report.png as
artifacts); each trial's run is its child (the `mlflow.parentRunId` tag the UI nests by).
W&B: a group named after the sweep; each trial is a run of the group and a `sweep` run of the same
group holds the estimates and the report files.

The trials log themselves, through maddpg-train's own tracker (maddpg_tf2/tracking.py), with their
grid point and seed as params: the sweep writes each trial's tracking.json (the parent or group,
the trial's params) into its checkpoint folder before it runs, and `--track` into its config.yaml.
Ray Tune's MLflow and W&B callbacks are not used: a trial reports to Tune once, at its end, so they
would see no learning curve; they key runs on Tune's trial objects, which a rerun of the sweep does
not keep (a rerun resumes from the trial folders, and so do the tracker runs here); and a trial run
alone from its commands.txt must track the same way.

A tracker that fails never stops the sweep: one line, and the sweep goes on without it.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from typing import Dict, List, Optional

from maddpg_tf2 import tracking

SWEEP_FILE = tracking.RUN_FILE  # DIR/tracking.json: the parent run / group, so a rerun continues them


def _say(text: str) -> None:
    from maddpg_tf2.sweep.runner import say
    say(text)


def default_project(sweep) -> str:
    """The scenario's name when the whole sweep has one scenario, else 'maddpg-sweep'."""
    if any(k.replace("-", "_") in ("scenario", "env") for k in sweep.grid):
        return "maddpg-sweep"
    from maddpg_tf2.config import Config
    return tracking.project_name(Config(scenario=sweep.base.get("scenario", Config.scenario)))


def _guard(backend: str, what: str, fn, context: dict) -> None:
    try:
        fn()
    except Exception as e:  # the sweep goes on without this tracker
        _say(f"note: --track {backend}: {what} failed ({tracking.first_line(e)}); "
             f"the sweep goes on without it")
        context.pop(backend, None)


def sweep_params(sweep) -> Dict[str, str]:
    params = {"sweep.file": os.path.abspath(sweep.path), "sweep.metric": sweep.metric,
              "sweep.seeds": json.dumps(sweep.seeds), "sweep.grid": json.dumps(sweep.grid, default=str),
              "sweep.benchmark": json.dumps(sweep.benchmark, default=str)}
    params.update({f"base.{k}": json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v)
                   for k, v in sweep.base.items()})
    return params


def start(out: str, sweep, backends: List[str], project: str) -> dict:
    """Open (or, on a rerun, continue) the sweep's parent run / group; {backend: what trials need}."""
    before = tracking.read_run_file(out)
    stem = os.path.splitext(os.path.basename(sweep.path))[0]
    context: Dict[str, dict] = {}
    for backend in backends:
        previous = (before.get("parent") or {}).get(backend) or {}
        if backend == "mlflow":
            def open_mlflow(previous=previous):
                run = tracking.MlflowRun(project, stem, previous, None, {"maddpg.mode": "sweep",
                                                                          "maddpg.sweep_dir": out})
                run.log_params({k: v for k, v in sweep_params(sweep).items() if k not in run.existing_params()})
                context["mlflow"] = dict(run.ids(), parent_run=run)
            _guard("mlflow", "starting the sweep's parent run", open_mlflow, context)
        else:  # a W&B group needs no run of its own until the sweep's estimates are in
            group = previous.get("group") or f"{stem}-{secrets.token_hex(3)}"
            folder = previous.get("dir") or os.path.abspath(os.environ.get("WANDB_DIR") or os.getcwd())
            context["wandb"] = {"group": group, "dir": folder, "project": project, "id": previous.get("id")}
    saved = {b: {k: v for k, v in c.items() if k != "parent_run"} for b, c in context.items()}
    if saved:
        tracking.write_run_file(out, dict(before, parent=dict(before.get("parent") or {}, **saved)))
    for backend, c in context.items():
        what = f"parent run {c['run_id']} in {c['tracking_uri']}" if backend == "mlflow" else \
            f"group {c['group']} in project {c['project']} ({c['dir']})"
        _say(f"--track {backend}: trials are tracked under the {what}")
    return context


def trial_params(trial) -> Dict[str, str]:
    """A trial's place in the sweep: its grid point and seed (the Config params hold the values too)."""
    params = {"sweep.trial": trial.name, "sweep.grid_point": trial.config_name, "sweep.seed": str(trial.seed)}
    params.update({f"sweep.point.{k}": str(v) for k, v in trial.point.items()})
    return params


def seed_trials(out: str, trials, context: dict) -> None:
    """Each trial's checkpoint folder gets tracking.json with the parent / group and its params (the
    ids of its own runs, once it has them, are kept)."""
    from maddpg_tf2.sweep.trial import trial_dir

    links = {}
    if "mlflow" in context:
        c = context["mlflow"]
        links["mlflow"] = {"run_id": c["run_id"], "experiment_id": c["experiment_id"],
                           "tracking_uri": c["tracking_uri"]}
    if "wandb" in context:
        links["wandb"] = {"group": context["wandb"]["group"], "dir": context["wandb"]["dir"]}
    for t in trials:
        folder = os.path.join(trial_dir(out, t.name), "policy")
        data = tracking.read_run_file(folder)
        data["sweep"] = dict(links, params=trial_params(t))
        tracking.write_run_file(folder, data)


def _metric_key(text: str) -> str:
    return re.sub(r"[^\w./ :-]+", "_", text)  # what MLflow accepts in a metric name


def estimates(sweep, results: List[dict]) -> Dict[str, float]:
    """Per grid point: n, IQM and mean with their 95% stratified bootstrap intervals (as report.md)."""
    from maddpg_tf2.sweep import report

    out = {}
    for config, rows in report.by_config(results, sweep.trials).items():
        s = report.summarise_point([r["metric"] for r in rows])
        if s is None:
            continue
        key = _metric_key(config)
        out[f"{key}/n"] = float(s["n"])
        for agg in ("iqm", "mean"):
            e = s[agg]
            out.update({f"{key}/{agg}": e.value, f"{key}/{agg}_low": e.low, f"{key}/{agg}_high": e.high})
    return out


def finish(out: str, sweep, context: dict, results: List[dict], outcome: str) -> None:
    """The sweep's estimates and report files on the parent run / the group's sweep run."""
    numbers = {k: v for k, v in estimates(sweep, results).items() if v == v}  # no NaN
    files = [os.path.join(out, f) for f in ("report.md", "results.csv", "report.png")]
    files = [f for f in files if os.path.isfile(f)]
    status = "killed" if outcome == "interrupted" else "ok" if len(results) == len(sweep.trials) else "failed"
    if "mlflow" in context:
        run = context["mlflow"]["parent_run"]

        def log_mlflow():
            run.log_metrics(numbers, len(results))  # step: the trials finished when these were computed
            for f in files:
                run.log_file(f, "report")
            run.finish(status)
        _guard("mlflow", "logging the sweep's estimates", log_mlflow, context)
    if "wandb" in context:
        c = context["wandb"]
        stem = os.path.splitext(os.path.basename(sweep.path))[0]

        def log_wandb():
            previous = {"id": c.get("id"), "project": c["project"], "dir": c["dir"]} if c.get("id") else \
                {"project": c["project"], "dir": c["dir"]}
            run = tracking.WandbRun(c["project"], f"{stem}-sweep", previous, {"group": c["group"], "dir": c["dir"]},
                                    {"maddpg.mode": "sweep", "maddpg.sweep_dir": out}, job_type="sweep")
            run.log_params(sweep_params(sweep))
            run.log_summary(numbers)
            for f in files:
                run.log_file(f, "report")
            before = tracking.read_run_file(out)
            parent = dict(before.get("parent") or {})
            parent["wandb"] = dict(parent.get("wandb") or {}, id=run.ids()["id"])
            tracking.write_run_file(out, dict(before, parent=parent))
            run.finish(status)
        _guard("wandb", "logging the sweep's estimates", log_wandb, context)


def values(backends: List[str], project: Optional[str]) -> Dict[str, object]:
    """The keys every trial's config.yaml gets."""
    return {"track": list(backends), "track_project": project}
