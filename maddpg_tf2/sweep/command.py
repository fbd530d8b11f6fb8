"""maddpg-sweep SWEEP.yaml [--ray-address ADDR] [--out DIR] [--cpus-per-trial C] [--max-concurrent N]

Many maddpg-train runs (a grid of settings x seeds) on Ray Tune, then DIR/results.csv and
DIR/report.md. A local Ray on loopback by default; a cluster with --ray-address. Rerunning the same
command skips finished trials and resumes unfinished ones from their checkpoints.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # before anything imports Ray: loopback
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from maddpg_tf2.errors import UserError  # noqa: E402

PROG = "maddpg-sweep"


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog=PROG, description="many maddpg-train runs (grid x seeds) on Ray Tune, with "
                       "interval estimates over seeds")
    p.add_argument("sweep", help="SWEEP.yaml: base:, grid:, seeds:, optional benchmark:, metric:")
    p.add_argument("--ray-address", default=None, help="Ray cluster to run on (auto or host:port; default: "
                   "start a local Ray on 127.0.0.1)")
    p.add_argument("--out", default=None, help="output folder (default: sweeps/<SWEEP file stem>); rerun with "
                   "the same folder to resume")
    p.add_argument("--cpus-per-trial", type=int, default=1, help="cores each trial holds; its TensorFlow "
                   "thread pools follow (intra-op 1 and inter-op C up to 2 cores)")
    p.add_argument("--max-concurrent", type=int, default=None, help="trials run at once at most (default: as "
                   "many as the cores allow)")
    p.add_argument("--max-retries", type=int, default=2, help="times a trial whose worker dies is restarted "
                   "from its last checkpoint")
    p.add_argument("--local-cpus", type=int, default=None, help="cores of the local Ray (default: all); "
                   "ignored with --ray-address")
    p.add_argument("--seeds", default=None, help="comma-separated seeds (e.g. 0,1,2) instead of the file's "
                   "seeds: list")
    p.add_argument("--track", action="append", choices=("mlflow", "wandb"), default=None, help="track every "
                   "trial as its own run, grouped by the sweep (an MLflow parent run, a W&B group); give twice for both")
    p.add_argument("--track-project", default=None, help="MLflow experiment / W&B project (default: the scenario's name)")
    return p


def _check_args(args) -> None:
    if args.cpus_per_trial < 1:
        raise UserError(f"--cpus-per-trial must be at least 1, got {args.cpus_per_trial}")
    if args.max_concurrent is not None and args.max_concurrent < 1:
        raise UserError(f"--max-concurrent must be at least 1, got {args.max_concurrent}; leave it out to run as "
                        f"many trials at once as the cores allow")
    if args.max_retries < 0:
        raise UserError(f"--max-retries must be 0 or more, got {args.max_retries}")
    if args.local_cpus is not None and args.local_cpus < args.cpus_per_trial:
        raise UserError(f"--local-cpus {args.local_cpus} cannot hold one trial of --cpus-per-trial "
                        f"{args.cpus_per_trial}; pass at least {args.cpus_per_trial}")


def sweep_main(args) -> int:
    from maddpg_tf2.sweep import report, runner, spec, trial

    _check_args(args)
    seeds = spec.parse_seeds(args.seeds, "--seeds") if args.seeds is not None else None
    sweep = spec.load(args.sweep, seeds=seeds)  # every problem in the file, before anything starts
    if args.ray_address:
        from maddpg_tf2.distributed.runtime import check_reachable
        check_reachable(args.ray_address)  # seconds, not Ray's minutes of retries; nothing written yet
    out = os.path.abspath(args.out or os.path.join("sweeps", os.path.splitext(os.path.basename(args.sweep))[0]))
    from maddpg_tf2.loop import check_writable_dir
    check_writable_dir(out, "--out")
    for t in sweep.trials:  # a folder of another sweep's trial: refuse before anything runs
        trial.check_same_settings(trial.trial_dir(out, t.name), sweep, t)
    todo = [t for t in sweep.trials if not trial.is_finished(out, t.name)]
    resumed = [t for t in todo if os.path.isfile(os.path.join(trial.trial_dir(out, t.name), "policy", "meta.json"))]
    tracked = _start_tracking(args, out, sweep)
    for t in todo:
        trial.write_inputs(trial.trial_dir(out, t.name), sweep, t, args.cpus_per_trial)
    if tracked:
        from maddpg_tf2.sweep import track
        track.seed_trials(out, todo, tracked)  # after write_inputs: a trial folder is never unrecorded
    runner.say(f"{len(sweep.trials)} trials ({len(sweep.trials) // len(sweep.seeds)} grid points x "
               f"{len(sweep.seeds)} seeds): {len(sweep.trials) - len(todo)} finished already, {len(todo)} to run"
               + (f" ({len(resumed)} resumed from their checkpoints)" if resumed else "") + f"; output in {out}")
    outcome = "done"
    if todo:
        runner.quiet_tune_logs()
        from maddpg_tf2.distributed import runtime
        runtime.connect(args.ray_address, flag="--ray-address",
                        num_cpus=None if args.ray_address else args.local_cpus)
        try:
            outcome = runner.run_trials(out, sweep, todo, args.cpus_per_trial, args.max_concurrent,
                                        args.max_retries)
        finally:
            runtime.shutdown()
    results = report.write(out, sweep)
    if tracked:
        from maddpg_tf2.sweep import track
        track.finish(out, sweep, tracked, results, outcome)
    left = len(sweep.trials) - len(results)
    if outcome == "interrupted":
        runner.say(f"stopped: {len(results)} of {len(sweep.trials)} trials finished and kept; rerun the same "
                   f"command to resume the other {left} from their checkpoints")
        return 130
    if left:
        hint = (" with a lower --max-concurrent (Ray's memory monitor killed trial workers)"
                if outcome == "low-memory" else "")
        runner.say(f"{left} of {len(sweep.trials)} trials did not finish (see the lines above and their "
                   f"train.log); rerun the same command{hint} to resume them from their checkpoints; report: "
                   f"{os.path.join(out, 'report.md')}")
        return 1
    runner.say(f"all {len(results)} trials finished; {os.path.join(out, 'results.csv')} and "
               f"{os.path.join(out, 'report.md')}")
    return 0


def _start_tracking(args, out: str, sweep) -> dict:
    """--track: the parent run / group opened, every trial's config.yaml to get --track."""
    if not args.track:
        if args.track_project:
            raise UserError("--track-project needs --track mlflow or --track wandb; add one, or drop it")
        return {}
    from maddpg_tf2.sweep import track
    from maddpg_tf2.tracking import check_installed

    backends = list(dict.fromkeys(args.track))
    check_installed(backends)
    project = args.track_project or track.default_project(sweep)
    sweep.track_values = track.values(backends, project)
    return track.start(out, sweep, backends, project)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        return sweep_main(args)
    except KeyboardInterrupt:
        print(f"{PROG}: stopped: interrupted before the trials started; nothing was lost", file=sys.stderr)
        return 130
    except UserError as e:
        print(f"{PROG}: error: {' '.join(str(e).split())}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
