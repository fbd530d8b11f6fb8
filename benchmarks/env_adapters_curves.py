"""Learning curves on other libraries' envs (issue 14): MADDPG on PettingZoo's mpe2 simple_spread_v3
(discrete and continuous actions, the original's hyperparameters), DDPG on Gymnasium's
Pendulum-v1 and our particle simple_spread in continuous mode, each run through the command line's
own parser, one after another.

    nice -n 10 python benchmarks/env_adapters_curves.py --seeds 1

Writes benchmarks/env_adapters_<task>.png and benchmarks/env_adapters_curves.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

from maddpg_tf2.quiet_import import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()

from maddpg_tf2.cli import parse_config  # noqa: E402
from maddpg_tf2.loop import Trainer  # noqa: E402
from maddpg_tf2.plot import plot_curves  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
MPE2 = ["--env", "pettingzoo:mpe2.simple_spread_v3", "--num-episodes", "3000", "--num-envs", "16",
        "--save-rate", "100"]
# DDPG as Stable-Baselines3 / RL Zoo run it on Pendulum (lr 1e-3, tau 0.005, batch 256, one update per
# step, targets starting as copies, no gradient clipping), with our 64x64 networks
PENDULUM = ["--env", "gymnasium:Pendulum-v1", "--max-episode-len", "200", "--batch-size", "256",
            "--lr", "1e-3", "--gamma", "0.98", "--soft-update-size", "0.005", "--gradient-clip", "0",
            "--target-init", "copy", "--update-every", "1", "--learning-starts", "1000", "--num-envs", "4",
            "--num-episodes", "80", "--save-rate", "4"]
TASKS = {
    "mpe2_simple_spread_discrete": MPE2,
    "mpe2_simple_spread_continuous": MPE2 + ["--env-kwargs", '{"continuous_actions": true}'],
    "pendulum_ddpg": PENDULUM,
    # our own engine in the original's continuous-action mode, for comparison with the mpe2 curves
    "particle_simple_spread_continuous": ["--scenario", "simple_spread", "--continuous-actions",
                                          "--num-episodes", "3000", "--num-envs", "16", "--save-rate", "100"],
}


def run(args, seed, workdir, name):
    config = parse_config(args + ["--seed", str(seed), "--quiet", "--exp-name", f"{name}_s{seed}",
                                  "--save-dir", os.path.join(workdir, f"{name}_s{seed}"), "--plots-dir", workdir])
    trainer = Trainer(config)
    trainer.logger.message = lambda text: None
    t0 = time.perf_counter()
    trainer._loop()
    # the original's save-line means count one fresh zero-reward episode: undo that for the plot
    k = config.save_rate
    curve = [m * k / (k - 1) for m in trainer.logger.final_ep_rewards]
    return curve, config.save_rate, time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument("--workdir", default="/tmp/maddpg_env_adapters")
    a = p.parse_args(argv)
    results = {}
    for task in a.tasks:
        curves, rates, secs = {}, None, {}
        for s in a.seeds:
            curve, rates, sec = run(TASKS[task], s, a.workdir, task)
            curves[f"seed {s}"] = curve
            secs[f"seed {s}"] = sec
            print(f"{task} seed {s}: first {curve[0]:.1f}, best {max(curve):.1f}, final {curve[-1]:.1f} "
                  f"({sec:.0f} s)", flush=True)
        png = plot_curves(curves, rates, os.path.join(OUT, f"env_adapters_{task}.png"),
                          title=f"{task}: mean episode return per {rates} episodes")
        results[task] = {"command": shlex.join(["maddpg-train"] + TASKS[task] + ["--seed", "S"]), "save_rate": rates,
                         "curves": curves, "seconds": secs,
                         "final_mean": float(np.mean([c[-1] for c in curves.values()]))}
        print(f"plot: {png}", flush=True)
    path = os.path.join(OUT, "env_adapters_curves.json")
    old = {}
    if os.path.isfile(path):
        with open(path) as f:
            old = json.load(f)
    old.update(results)
    with open(path, "w") as f:
        json.dump(old, f, indent=1)


if __name__ == "__main__":
    main()
