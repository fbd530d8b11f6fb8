"""How maddpg-sweep scales: trials per hour of one tiny sweep (1 grid point x N seeds) with 1 and 2
trials at once, --cpus-per-trial 1 and 2, and on a local two-node `ray.cluster_utils.Cluster`; and
what the driver costs per trial (its own CPU seconds: Tune's scheduling, the callbacks, the report).

    python benchmarks/sweep_scale.py --seeds 6 --episodes 400 --json benchmarks/sweep_scale.json

Each setting is a fresh output folder and a fresh Ray, so every trial runs and every worker process
starts cold (Python, Ray Tune and TensorFlow imports); trials then reuse their worker, as in a real
sweep.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, "compat")]
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def sweep_file(folder: str, seeds: int, episodes: int) -> str:
    import yaml

    path = os.path.join(folder, "scale.yaml")
    with open(path, "w") as f:
        yaml.safe_dump({"base": {"scenario": "simple_spread", "max-episode-len": 25, "num-episodes": episodes,
                                 "save-rate": 50, "batch-size": 256, "num-envs": 4},
                        "grid": {"lr": [0.01]}, "seeds": list(range(seeds)), "metric": "final_reward"}, f)
    return path


def one(path: str, out: str, args_extra, label: str) -> dict:
    from maddpg_tf2.sweep import command

    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.time()
    code = command.main([path, "--out", out, *args_extra])
    wall = time.time() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.path.join(out, "results.csv")) as f:
        import csv
        rows = list(csv.DictReader(f))
    n = len(rows)
    trial_wall = sum(float(r["wall_s"]) for r in rows) / max(1, n)
    driver_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    rec = {"setting": label, "args": " ".join(args_extra), "exit": code, "trials": n, "wall_s": round(wall, 1),
           "trials_per_hour": round(3600 * n / wall, 1), "mean_trial_wall_s": round(trial_wall, 1),
           "driver_cpu_s_per_trial": round(driver_cpu / max(1, n), 2)}
    print(json.dumps(rec), flush=True)
    return rec


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--json", default=None)
    p.add_argument("--only", nargs="*", default=None)
    args = p.parse_args()
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        path = sweep_file(tmp, args.seeds, args.episodes)
        local = [("local, 1 at a time, 1 cpu/trial", ["--cpus-per-trial", "1", "--max-concurrent", "1"]),
                 ("local, 2 at a time, 1 cpu/trial", ["--cpus-per-trial", "1", "--max-concurrent", "2"]),
                 ("local, 2 cpus/trial (1 at a time)", ["--cpus-per-trial", "2"])]
        for i, (label, extra) in enumerate(local):
            if args.only is None or str(i) in args.only:
                records.append(one(path, os.path.join(tmp, f"out{i}"), extra, label))
        if args.only is None or "3" in args.only:
            from maddpg_tf2.distributed.runtime import local_cluster_class
            Cluster = local_cluster_class()

            # Two raylets on this machine, one core each; the head offers none, so every trial runs on
            # a worker node, as on a cluster whose head only schedules.
            cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
            for _ in range(2):
                cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()
            try:
                records.append(one(path, os.path.join(tmp, "out3"), ["--ray-address", cluster.address,
                                                                     "--cpus-per-trial", "1"],
                                   "two-node Cluster (1 cpu each), 1 cpu/trial"))
            finally:
                cluster.shutdown()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seeds": args.seeds, "episodes": args.episodes, "cores": os.cpu_count(),
                       "records": records}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
