"""The trials on Ray Tune: one Tune trial per unfinished sweep trial, each holding --cpus-per-trial
cores, at most --max-concurrent at a time, a worker that dies retried a bounded number of times.

Tune's own experiment state is not what resumes a sweep: every trial's folder is. A finished trial
has result.json and is skipped; an unfinished one continues its checkpoint with --restore when it runs
again, whether after a rerun, a killed worker or a lost node. So DIR must be the same path on every
node (a shared filesystem on a real cluster).
"""
from __future__ import annotations

import logging
import os
import sys
import time
from typing import List

from maddpg_tf2.distributed import runtime
from maddpg_tf2.sweep import trial as trial_mod

PROG = "maddpg-sweep"


def say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)


def _lines_callback(max_retries: int):
    """One line per trial event that matters: finished, died and retried, failed for good."""
    tune = runtime.require_tune()

    class Lines(tune.Callback):
        def on_trial_complete(self, iteration, trials, trial, **info):
            say(f"finished {trial.config['trial']['name']}")

        def on_trial_recover(self, iteration, trials, trial, **info):
            say(f"trial {trial.config['trial']['name']} stopped ({_first_line(trial)}); retrying from its last "
                f"checkpoint (retry {trial.run_metadata.num_failures} of {max_retries})")

        def on_trial_error(self, iteration, trials, trial, **info):
            say(f"trial {trial.config['trial']['name']} failed {trial.run_metadata.num_failures} times "
                f"({_first_line(trial)}); giving up on it, its log: trials/{trial.config['trial']['name']}/train.log")

    return Lines()


def _first_line(trial) -> str:
    text = ""
    try:
        path = trial.error_file
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
    except Exception:  # the reason is a courtesy; never let it break the sweep
        text = ""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    died = next((ln for ln in lines if "died" in ln.lower() or "lost" in ln.lower()), None)
    return (died or (lines[-1] if lines else "its worker stopped"))[:200]


def run_trials(out: str, sweep, todo: List, cpus_per_trial: int, max_concurrent: int, max_retries: int) -> str:
    """Run `todo` on the connected Ray; 'done' or 'interrupted'."""
    tune = runtime.require_tune()

    payloads = [trial_mod.payload(out, sweep, t) for t in todo]
    # reuse_actors: a worker process runs trial after trial, so Python, TensorFlow and Ray Tune load once
    # per worker, not per trial (a third of a tiny trial's time). Each run re-seeds everything it draws
    # from, and tests/test_sweep.py checks a trial in a reused worker against the command run alone.
    trainable = tune.with_resources(trial_mod.tune_entry, {"cpu": cpus_per_trial})
    tuner = tune.Tuner(
        trainable,
        param_space={"trial": tune.grid_search(payloads)},
        tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent or None, reuse_actors=True,
                                    trial_dirname_creator=lambda t: t.config["trial"]["name"]),
        run_config=tune.RunConfig(
            name=time.strftime("run-%Y%m%d-%H%M%S"), storage_path=os.path.join(os.path.abspath(out), ".tune"),
            failure_config=tune.FailureConfig(max_failures=max_retries), verbose=0,
            callbacks=[_lines_callback(max_retries)]))
    try:
        tuner.fit()
    except KeyboardInterrupt:
        return "interrupted"
    return "done"


def quiet_tune_logs() -> None:
    """Tune's tables and tracebacks would bury the sweep's own lines; trial logs keep the details."""
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")  # Ctrl-C: our handling, not Tune's
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_RESULT_BUFFER_LENGTH", "1")
    for name in ("ray.tune", "ray.train", "ray.air", "ray.data"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
