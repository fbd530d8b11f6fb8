"""Learning with many agents (issue 26): simple_spread with N = 6, with and without
`--parameter-sharing team`, several seeds, at a stated (reduced) budget; then each trained policy's
coverage figures from `--benchmark` (sum of the landmarks' nearest-agent distances, colliding
pairs, occupied landmarks). Writes a JSON of the curves and figures and a plot beside it.

    flock /tmp/heavy.lock python3 benchmarks/many_agents_learning.py --episodes 6000 --seeds 0 1 2 \
        --json benchmarks/many_agents_learning.json
    python3 benchmarks/many_agents_learning.py --lock /tmp/heavy.lock ...   # the lock per run instead
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURES = ("landmark_min_dist_sum_final", "collisions_per_episode_pairs", "occupied_landmarks_final")


LOCK = None  # --lock: each training or benchmark process takes this file lock (heavy jobs take turns)


def _train(args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "compat")]))
    lock = ["flock", LOCK] if LOCK else []
    r = subprocess.run(lock + [sys.executable, os.path.join(ROOT, "experiments", "train.py")] + [str(a) for a in args],
                       cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stderr)


def run_one(n, sharing, seed, episodes, bench_iters, work):
    out = os.path.join(work, f"{sharing}_s{seed}")
    common = ["--scenario", "simple_spread", "--env-kwargs", json.dumps({"N": n}), "--parameter-sharing", sharing,
              "--seed", seed, "--quiet", "--save-dir", os.path.join(out, "save"), "--plots-dir",
              os.path.join(out, "plots"), "--benchmark-dir", os.path.join(out, "bench"), "--exp-name", "run",
              "--buffer-size", 200_000]
    _train(common + ["--num-episodes", episodes], work)
    _train(common + ["--benchmark", "--benchmark-iters", bench_iters], work)
    with open(os.path.join(out, "plots", "run_rewards.pkl"), "rb") as f:
        curve = [float(x) for x in pickle.load(f)]
    summary = sorted(glob.glob(os.path.join(out, "bench", "*_summary.json")))[-1]
    with open(summary) as f:
        metrics = json.load(f)["metrics"]
    return {"curve": curve, "figures": {k: metrics[k]["mean"] for k in FIGURES if k in metrics}}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for sharing, runs in results["runs"].items():
        curves = np.array([r["curve"] for r in runs.values()])
        x = (np.arange(curves.shape[1]) + 1) * results["save_rate"]
        line, = ax.plot(x, np.median(curves, axis=0), label=f"--parameter-sharing {sharing} ({len(curves)} seeds)")
        ax.fill_between(x, curves.min(axis=0), curves.max(axis=0), color=line.get_color(), alpha=0.2)
    ax.set_xlabel("episodes")
    ax.set_ylabel("mean episode reward (last 1,000)")
    ax.set_title(f"simple_spread N = {results['N']}: median and range over seeds", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--episodes", type=int, default=6000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--benchmark-iters", type=int, default=10_000, help="benchmark steps (400 episodes of 25)")
    p.add_argument("--json", default="benchmarks/many_agents_learning.json")
    p.add_argument("--lock", default=None, help="a file each run takes with flock (a shared machine's heavy lock)")
    a = p.parse_args(argv)
    global LOCK
    LOCK = a.lock
    results = {"command": "python3 benchmarks/many_agents_learning.py " + " ".join(argv or sys.argv[1:]),
               "N": a.n, "episodes": a.episodes, "save_rate": 1000, "runs": {"none": {}, "team": {}}}
    with tempfile.TemporaryDirectory() as work:
        for seed in a.seeds:  # interleaved: a seed of each, then the next
            for sharing in ("none", "team"):
                results["runs"][sharing][str(seed)] = run_one(a.n, sharing, seed, a.episodes, a.benchmark_iters, work)
                print(sharing, seed, results["runs"][sharing][str(seed)], flush=True)
                with open(a.json, "w") as f:
                    json.dump(results, f, indent=1)
    plot(results, os.path.splitext(a.json)[0] + ".png")


if __name__ == "__main__":
    main()
