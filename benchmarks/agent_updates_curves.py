"""Learning with --agent-updates sequential (the original's order) against simultaneous: learning
curves per scenario, several seeds each, default hyperparameters otherwise.

Each run's curve is stored in --workdir as soon as it finishes (runs already there are skipped), so
the runs can be split over several processes (--scenarios/--modes/--seeds) and plotted at the end:

    python benchmarks/agent_updates_curves.py --scenarios simple_spread simple_speaker_listener \
        --episodes 10000 --seeds 0 1 2
    python benchmarks/agent_updates_curves.py --plot-only --episodes 10000
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import numpy as np

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

from maddpg_tf2.quiet_import import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()

from maddpg_tf2.config import Config  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
MODES = ("sequential", "simultaneous")


def run(scenario, mode, seed, episodes, save_rate, workdir):
    from maddpg_tf2.loop import Trainer
    name = f"{scenario}_{mode}_s{seed}"
    config = Config(scenario=scenario, agent_updates=mode, seed=seed, num_episodes=episodes,
                    save_rate=save_rate, quiet=True, exp_name=name,
                    save_dir=os.path.join(workdir, f"ckpt_{name}"), plots_dir=workdir)
    trainer = Trainer(config)
    trainer.logger.message = lambda text: None
    t0 = time.perf_counter()
    trainer._loop()
    return list(trainer.logger.final_ep_rewards), time.perf_counter() - t0


def load_runs(workdir, episodes):
    runs = {}
    for path in sorted(glob.glob(os.path.join(workdir, f"run_*_e{episodes}.json"))):
        with open(path) as f:
            r = json.load(f)
        runs[(r["scenario"], r["mode"], r["seed"])] = r
    return runs


def plot(runs, save_rate, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scenarios = sorted({k[0] for k in runs})
    fig, axes = plt.subplots(1, len(scenarios), figsize=(6 * len(scenarios), 4), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios):
        for mode, colour in zip(MODES, ("tab:blue", "tab:orange")):
            curves = [r["curve"] for k, r in sorted(runs.items()) if k[:2] == (scenario, mode)]
            for c in curves:
                x = save_rate * np.arange(1, len(c) + 1)
                ax.plot(x, c, color=colour, alpha=0.35, lw=1)
            if curves:
                n = min(len(c) for c in curves)
                mean = np.mean([c[:n] for c in curves], axis=0)
                ax.plot(save_rate * np.arange(1, n + 1), mean, color=colour, lw=2,
                        label=f"{mode} (mean of {len(curves)} seeds)")
        ax.set_title(scenario)
        ax.set_xlabel("episode")
        ax.set_ylabel(f"mean episode reward (per {save_rate} episodes)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def summary(runs, save_rate, tail=4):
    lines = [f"| scenario | updates | final reward (last {tail * save_rate} episodes), mean ± std over seeds "
             f"| per seed | seconds per run |", "|---|---|---|---|---|"]
    for scenario in sorted({k[0] for k in runs}):
        for mode in MODES:
            rs = [r for k, r in sorted(runs.items()) if k[:2] == (scenario, mode)]
            if not rs:
                continue
            finals = [float(np.mean(r["curve"][-tail:])) for r in rs]
            lines.append(f"| {scenario} | {mode} | {np.mean(finals):.1f} ± {np.std(finals):.1f} | "
                         f"{', '.join(f'{x:.1f}' for x in finals)} | {np.mean([r['seconds'] for r in rs]):.0f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenarios", nargs="+", default=["simple_spread", "simple_speaker_listener"])
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--episodes", type=int, default=10000)
    p.add_argument("--save-rate", type=int, default=500)
    p.add_argument("--workdir", default="/tmp/maddpg_agent_updates")
    p.add_argument("--plot-only", action="store_true", help="plot and summarise the runs in --workdir")
    a = p.parse_args(argv)
    os.makedirs(a.workdir, exist_ok=True)
    if not a.plot_only:
        for seed in a.seeds:
            for scenario in a.scenarios:
                for mode in a.modes:
                    path = os.path.join(a.workdir, f"run_{scenario}_{mode}_s{seed}_e{a.episodes}.json")
                    if os.path.exists(path):
                        continue
                    curve, sec = run(scenario, mode, seed, a.episodes, a.save_rate, a.workdir)
                    with open(path, "w") as f:
                        json.dump({"scenario": scenario, "mode": mode, "seed": seed, "curve": curve,
                                   "seconds": sec}, f)
                    print(f"{scenario} {mode} seed {seed}: final {curve[-1]:.1f} ({sec:.0f} s)", flush=True)
    runs = load_runs(a.workdir, a.episodes)
    print(summary(runs, a.save_rate))
    png = plot(runs, a.save_rate, os.path.join(OUT, "simultaneous_curves.png"))
    with open(os.path.join(OUT, "simultaneous_curves.json"), "w") as f:
        json.dump({"runs": [r for _, r in sorted(runs.items())], "args": vars(a)}, f, indent=1)
    print(f"plot: {png}")


if __name__ == "__main__":
    main()
