"""One trial: a maddpg-train run (and its --benchmark) through the command line's own `main`, in the
process Ray gives it, with its usual outputs under DIR/trials/<config>_s<seed>/:

    config.yaml      base + the grid point, as a --config file
    benchmark.yaml   config.yaml + the benchmark: section (when there is one)
    commands.txt     the same two commands, to run alone
    policy/          the checkpoint (with the replay: --save-replay, so a resume is exact)
    curves/          <name>_rewards.pkl and the other curve files
    bench/           <name>_summary.json and the benchmark pickle
    train.log        what the runs printed
    segments.json    the wall time of every stretch it ran (a killed one too, to within HEARTBEAT_S)
    result.json      written last: the trial is finished

A trial that finds a checkpoint and no result continues it with --restore: the resume after a rerun,
a killed worker or a lost node.
"""
from __future__ import annotations

import contextlib
import json
import os
import shlex
import time
from typing import Dict, List, Optional

from maddpg_tf2 import fileio
from maddpg_tf2.distributed import runtime

RESULT = "result.json"
TRAINED = "trained.json"


def trial_dir(out: str, name: str) -> str:
    return os.path.join(os.path.abspath(out), "trials", name)


def is_finished(out: str, name: str) -> bool:
    return os.path.isfile(os.path.join(trial_dir(out, name), RESULT))


def threads_for(cpus: int) -> Dict[str, int]:
    """TensorFlow pools for a trial holding `cpus` cores: one thread per op (fastest for these small
    ops, tf_threads.py) and up to `cpus` ops side by side; with more than 2 cores, 2 ops of cpus / 2
    threads each."""
    cpus = max(1, int(cpus))
    if cpus <= 2:
        return {"intra_op_threads": 1, "inter_op_threads": cpus}
    return {"intra_op_threads": cpus // 2, "inter_op_threads": 2}


def _yaml_text(values: Dict[str, object]) -> str:
    import yaml

    return yaml.safe_dump({k.replace("_", "-"): v for k, v in values.items()}, sort_keys=False)


def trial_values(values: Dict[str, object], cpus: int) -> Dict[str, object]:
    """The trial's settings: the sweep's, with the thread pools of --cpus-per-trial unless set there."""
    out = dict(values)
    for key, n in threads_for(cpus).items():
        out.setdefault(key, n)
    return out


def train_argv(folder: str, name: str, seed: int) -> List[str]:
    return ["--config", os.path.join(folder, "config.yaml"), "--seed", str(seed), "--exp-name", name,
            "--save-dir", os.path.join(folder, "policy") + "/", "--plots-dir", os.path.join(folder, "curves") + "/",
            "--save-replay", "--quiet"]


def benchmark_argv(folder: str, name: str, seed: int) -> List[str]:
    return ["--config", os.path.join(folder, "benchmark.yaml"), "--seed", str(seed), "--exp-name", name,
            "--save-dir", os.path.join(folder, "policy") + "/", "--benchmark",
            "--benchmark-dir", os.path.join(folder, "bench") + "/", "--quiet"]


def check_trial(sweep, trial) -> Optional[str]:
    """maddpg-train's whole check of the trial's training (and benchmark) command: None or the problem."""
    import tempfile

    from maddpg_tf2.cli import UsageError, parse_config

    with tempfile.TemporaryDirectory() as folder:
        write_inputs(folder, sweep, trial, cpus=1)
        try:
            parse_config(train_argv(folder, trial.name, trial.seed))
            if sweep.benchmark is not None:
                parse_config(benchmark_argv(folder, trial.name, trial.seed))
        except UsageError as e:
            return str(e).replace(f"config file {folder}/", "")
    return None


def write_inputs(folder: str, sweep, trial, cpus: int) -> None:
    """config.yaml, benchmark.yaml and commands.txt of a trial (rewritten only when they change)."""
    values = {**trial_values(trial.values, cpus), **sweep.track_values}
    files = {"config.yaml": _yaml_text(values)}
    commands = ["maddpg-train " + " ".join(shlex.quote(a) for a in train_argv(folder, trial.name, trial.seed))]
    if sweep.benchmark is not None:
        files["benchmark.yaml"] = _yaml_text({**values, **sweep.benchmark})
        commands.append("maddpg-train " + " ".join(shlex.quote(a) for a in benchmark_argv(folder, trial.name, trial.seed)))
    files["commands.txt"] = "\n".join(commands) + "\n"
    files[SETTINGS] = json.dumps(settings(sweep, trial), indent=1, sort_keys=True)
    for file, text in files.items():
        path = os.path.join(folder, file)
        if not (os.path.isfile(path) and open(path, encoding="utf-8").read() == text):
            fileio.write_text(path, text)


SETTINGS = "settings.json"


def settings(sweep, trial) -> dict:
    """What makes a trial this trial: its settings, seed and evaluation (not the cores it ran on)."""
    return json.loads(json.dumps({"values": trial.values, "seed": trial.seed, "benchmark": sweep.benchmark},
                                 sort_keys=True, default=str))


def check_same_settings(folder: str, sweep, trial) -> None:
    """A trial folder from a sweep with other settings is never resumed or counted as this one's."""
    from maddpg_tf2.errors import UserError

    path = os.path.join(folder, SETTINGS)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            before = json.load(f)
        if before != settings(sweep, trial):
            raise UserError(f"{folder} holds trial {trial.name} run with other settings than {sweep.path} gives "
                            f"it now; pass another --out, or remove that trial folder to run it again")
    elif os.path.isdir(os.path.join(folder, "policy")):
        raise UserError(f"{folder} holds a checkpoint that no sweep recorded; pass another --out")


def payload(out: str, sweep, trial) -> dict:
    """What Ray sends the worker: plain data only."""
    return {"out": os.path.abspath(out), "name": trial.name, "config_name": trial.config_name,
            "point": dict(trial.point), "seed": trial.seed, "benchmark": sweep.benchmark is not None,
            "metric": sweep.metric}


def _has_checkpoint(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "policy", "meta.json"))


def _run_cli(argv: List[str], log_path: str) -> int:
    """cli.main with argv, its prints appended to the trial's log (one trial per worker process)."""
    from maddpg_tf2 import cli

    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ maddpg-train {' '.join(shlex.quote(a) for a in argv)}\n")
        log.flush()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            return cli.main(argv)


SEGMENTS = "segments.json"
HEARTBEAT_S = 2.0  # how often a running segment's time is written down: a kill loses at most this much


@contextlib.contextmanager
def timed_segment(folder: str, phase: str, restored: bool = False):
    """Time one stretch of a phase ("train" or "benchmark") of a trial into its segments.json, also
    while it runs (every HEARTBEAT_S seconds), so that a trial killed and resumed counts the time before
    the kill too: {phase: [{"s": seconds, "restored": continued a checkpoint}, ...]}."""
    import threading

    path = os.path.join(folder, SEGMENTS)
    segments = read_segments(folder)
    mine = {"s": 0.0, "restored": bool(restored)}
    segments.setdefault(phase, []).append(mine)
    start, done = time.monotonic(), threading.Event()

    def write():
        mine["s"] = round(time.monotonic() - start, 3)
        fileio.write_text(path, json.dumps(segments))

    def beat():
        while not done.wait(HEARTBEAT_S):
            write()

    write()
    beating = threading.Thread(target=beat, name="segment-heartbeat", daemon=True)
    beating.start()
    try:
        yield
    finally:
        done.set()
        beating.join()
        write()


def read_segments(folder: str) -> dict:
    try:
        with open(os.path.join(folder, SEGMENTS), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _trained_in_full(folder: str, argv: List[str]) -> bool:
    from maddpg_tf2 import checkpoint
    from maddpg_tf2.cli import parse_config

    done = checkpoint.completed_episodes(os.path.join(folder, "policy"))
    return done is not None and done >= parse_config(argv).num_episodes


def run(spec: dict) -> dict:
    """Train (resuming a checkpoint if one is there), benchmark, write result.json; the result row."""
    folder = trial_dir(spec["out"], spec["name"])
    name, seed = spec["name"], spec["seed"]
    result_path = os.path.join(folder, RESULT)
    if os.path.isfile(result_path):
        with open(result_path, encoding="utf-8") as f:
            return json.load(f)
    # Who runs the trial now: for a person (or a test) who needs to find this worker.
    fileio.write_text(os.path.join(folder, "worker.pid"), f"{os.getpid()}\n")
    log_path = os.path.join(folder, "train.log")
    trained_path = os.path.join(folder, TRAINED)
    if not os.path.isfile(trained_path):
        argv = train_argv(folder, name, seed)
        resumed = _has_checkpoint(folder)
        if resumed:
            argv.append("--restore")
        # killed after its last save but before it was marked trained: its training is done
        trained_in_full = resumed and _trained_in_full(folder, argv)
        with timed_segment(folder, "train", restored=resumed):
            code = 0 if trained_in_full else _run_cli(argv, log_path)
        if code != 0:
            raise RuntimeError(f"maddpg-train exited with {code} in trial {name}; see {log_path}")
        fileio.write_text(trained_path, json.dumps({"resumed": resumed}))
    summary = None
    if spec["benchmark"]:
        summary_path = os.path.join(folder, "bench", name + "_summary.json")
        if not os.path.isfile(summary_path):
            with timed_segment(folder, "benchmark"):
                code = _run_cli(benchmark_argv(folder, name, seed), log_path)
            if code != 0:
                raise RuntimeError(f"maddpg-train --benchmark exited with {code} in trial {name}; see {log_path}")
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
    curve = fileio.read_data_pickle(os.path.join(folder, "curves", name + "_rewards.pkl"))
    final_reward = float(curve[-1]) if len(curve) else float("nan")
    segments = read_segments(folder)
    if "train" not in segments:  # trained by an earlier version, which kept only the last stretch's time
        with open(trained_path, encoding="utf-8") as f:
            before = json.load(f)
        segments["train"] = [{"s": float(before.get("train_wall_s", 0.0)), "restored": bool(before.get("resumed"))}]
    train_wall = sum(seg["s"] for seg in segments.get("train", []))
    bench_wall = sum(seg["s"] for seg in segments.get("benchmark", []))
    result = {"trial": name, "config": spec["config_name"], "point": spec["point"], "seed": seed,
              "wall_s": train_wall + bench_wall, "train_wall_s": train_wall, "benchmark_wall_s": bench_wall,
              # times its training continued from a checkpoint after a stop (0: it ran in one go)
              "resumed": sum(bool(seg.get("restored")) for seg in segments.get("train", [])),
              "segments": len(segments.get("train", [])) + len(segments.get("benchmark", [])),
              "final_reward": final_reward, "metric_name": spec["metric"],
              "metric": metric_value(spec["metric"], final_reward, summary), "summary": summary}
    fileio.write_text(result_path, json.dumps(result, indent=1, default=_json_default))
    return result


def metric_value(metric: str, final_reward: float, summary: Optional[dict]) -> Optional[float]:
    """final_reward, a summary metric's mean (summary['metrics'][m]['mean']) or a top-level number."""
    if metric == "final_reward":
        return final_reward
    if not summary:
        return None
    entry = (summary.get("metrics") or {}).get(metric, summary.get(metric))
    if isinstance(entry, dict):
        entry = entry.get("mean")
    return float(entry) if isinstance(entry, (int, float)) and not isinstance(entry, bool) else None


def _json_default(x):
    return float(x) if hasattr(x, "__float__") else str(x)


def tune_entry(config: dict) -> None:
    """The function Ray Tune runs: one trial, its result row reported once at the end."""
    tune = runtime.require_tune()

    result = run(config["trial"])
    tune.report({"metric": result["metric"] if result["metric"] is not None else float("nan"),
                 "final_reward": result["final_reward"], "wall_s": result["wall_s"]})

