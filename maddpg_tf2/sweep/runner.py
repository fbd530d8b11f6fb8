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


class Retries:
    """Every trial's losses over the whole sweep (a worker that died, raised, or was killed by Ray's
    memory monitor), one line each, and who may run again. Tune itself never retries
    (FailureConfig(max_failures=0)): its count restarts with every Tuner, and an error its controller
    does not know (Ray's OutOfMemoryError) ends the whole Tuner.fit, which `run_trials` then starts
    again with the unfinished trials."""

    def __init__(self, max_retries: int):
        self.max_retries = max_retries
        self.failures = {}  # trial name -> losses so far
        self.running = set()  # trials whose worker runs now (this Tuner)
        self.low_memory = False  # a worker was killed for memory: the last line says what helps

    def lost(self, name: str, reason: str) -> None:
        n = self.failures[name] = self.failures.get(name, 0) + 1
        self.running.discard(name)
        if n <= self.max_retries:
            say(f"trial {name} stopped ({reason}); retrying from its last checkpoint (retry {n} of "
                f"{self.max_retries})")
        else:
            say(f"trial {name} stopped {n} times ({reason}); giving up on it, its log: trials/{name}/train.log")

    def given_up(self, name: str) -> bool:
        return self.failures.get(name, 0) > self.max_retries


def _lines_callback(retries: Retries):
    """One line per trial event that matters: finished, stopped (and retried or given up)."""
    tune = runtime.require_tune()

    class Lines(tune.Callback):
        def on_trial_start(self, iteration, trials, trial, **info):
            retries.running.add(trial.config["trial"]["name"])

        def on_trial_complete(self, iteration, trials, trial, **info):
            retries.running.discard(trial.config["trial"]["name"])
            say(f"finished {trial.config['trial']['name']}")

        def on_trial_error(self, iteration, trials, trial, **info):
            reason = _first_line(trial)
            if reason == LOW_MEMORY:  # killed while its worker started: Tune's own failure handling saw it
                retries.low_memory = True
            retries.lost(trial.config["trial"]["name"], reason)

    return Lines()


LOW_MEMORY = runtime.LOW_MEMORY


def _first_line(trial) -> str:
    text = ""
    try:
        path = trial.error_file
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
    except Exception:  # the reason is a courtesy; never let it break the sweep
        text = ""
    if "running low on memory" in text or "OutOfMemoryError" in text:
        return LOW_MEMORY
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    died = next((ln for ln in lines if "died" in ln.lower() or "lost" in ln.lower()), None)
    return (died or (lines[-1] if lines else "its worker stopped"))[:200]


def run_trials(out: str, sweep, todo: List, cpus_per_trial: int, max_concurrent: int, max_retries: int) -> str:
    """Run `todo` on the connected Ray: 'done', 'interrupted', or 'low-memory' (done, but Ray's memory
    monitor killed workers on the way)."""
    retries = Retries(max_retries)
    pending = list(todo)
    while pending:
        before = dict(retries.failures)
        try:
            _fit(out, sweep, pending, cpus_per_trial, max_concurrent, retries)
        except KeyboardInterrupt:
            return "interrupted"
        except RuntimeError as e:
            lost = runtime.lost_workers(e)
            if lost is None:
                raise
            _blame(out, retries, lost)
        left = [t for t in pending if not trial_mod.is_finished(out, t.name) and not retries.given_up(t.name)]
        if left and len(left) == len(pending) and retries.failures == before:
            break  # nothing finished and nothing failed: Tune stopped for a reason of its own; never spin
        pending = left
    return "low-memory" if retries.low_memory else "done"


def _fit(out: str, sweep, todo: List, cpus_per_trial: int, max_concurrent: int, retries: Retries) -> None:
    """One Tuner over `todo`; a trial that fails is marked in `retries` and left to the next Tuner."""
    tune = runtime.require_tune()

    payloads = [trial_mod.payload(out, sweep, t) for t in todo]
    # reuse_actors: a worker process runs trial after trial, so Python, TensorFlow and Ray Tune load once
    # per worker, not per trial (a third of a tiny trial's time). Each run re-seeds everything it draws
    # from, and tests/test_sweep.py checks a trial in a reused worker against the command run alone.
    trainable = tune.with_resources(trial_mod.tune_entry, {"cpu": cpus_per_trial})
    retries.running.clear()
    tuner = tune.Tuner(
        trainable,
        param_space={"trial": tune.grid_search(payloads)},
        tune_config=tune.TuneConfig(max_concurrent_trials=max_concurrent or None, reuse_actors=True,
                                    trial_dirname_creator=lambda t: t.config["trial"]["name"]),
        run_config=tune.RunConfig(
            name=time.strftime("run-%Y%m%d-%H%M%S"), storage_path=os.path.join(os.path.abspath(out), ".tune"),
            failure_config=tune.FailureConfig(max_failures=0), verbose=0,
            callbacks=[_lines_callback(retries)]))
    tuner.fit()


def _blame(out: str, retries: Retries, lost) -> None:
    """Tune stopped every trial because Ray lost workers in a way its controller does not handle (its
    memory monitor killed them): the trials whose worker was named lost one life; when Ray names no
    worker of a running trial, every running trial did (a bound on the retries either way). The others
    only run again."""
    kind, reason, pids = lost
    retries.low_memory = retries.low_memory or kind == "memory"
    running = sorted(retries.running)
    named = [name for name in running if _worker_pid(out, name) in pids]
    for name in named or running:
        retries.lost(name, reason)
    retries.running.clear()


def _worker_pid(out: str, name: str):
    try:
        with open(os.path.join(trial_mod.trial_dir(out, name), "worker.pid"), encoding="utf-8") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def quiet_tune_logs() -> None:
    """Tune's tables and tracebacks would bury the sweep's own lines; trial logs keep the details."""
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")  # Ctrl-C: our handling, not Tune's
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_RESULT_BUFFER_LENGTH", "1")
    for name in ("ray.tune", "ray.train", "ray.air", "ray.data"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
