"""Evidence that --num-envs does not change what is learned: simple_spread learning curves with
E worlds and with 1, several seeds each, default hyperparameters, plotted together.

    python benchmarks/num_envs_curves.py --episodes 6000 --envs 1 64 --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

from maddpg_tf2.quiet_import import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()

from maddpg_tf2.config import Config  # noqa: E402
from maddpg_tf2.loop import Trainer  # noqa: E402
from maddpg_tf2.plot import plot_curves  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


def run(scenario, num_envs, seed, episodes, save_rate, workdir):
    config = Config(scenario=scenario, num_envs=num_envs, seed=seed, num_episodes=episodes,
                    save_rate=save_rate, quiet=True, exp_name=f"E{num_envs}_s{seed}",
                    save_dir=os.path.join(workdir, f"ckpt_E{num_envs}_s{seed}"), plots_dir=workdir)
    trainer = Trainer(config)
    trainer.logger.message = lambda text: None
    t0 = time.perf_counter()
    trainer._loop()
    return list(trainer.logger.final_ep_rewards), time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--episodes", type=int, default=6000)
    p.add_argument("--save-rate", type=int, default=250)
    p.add_argument("--envs", type=int, nargs="+", default=[1, 64])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--workdir", default="/tmp/maddpg_num_envs")
    a = p.parse_args(argv)
    curves, seconds = {}, {}
    for e in a.envs:
        for s in a.seeds:
            curve, sec = run(a.scenario, e, s, a.episodes, a.save_rate, a.workdir)
            curves[f"E={e} seed {s}"] = curve
            seconds[f"E={e} seed {s}"] = sec
            print(f"E={e:3d} seed {s}: final {curve[-1]:.1f}  ({sec:.0f} s)", flush=True)
    png = plot_curves(curves, a.save_rate, os.path.join(OUT, f"num_envs_{a.scenario}.png"),
                      title=f"{a.scenario}: --num-envs, {len(a.seeds)} seeds each")
    tail = 4  # curve points averaged at the end (the last tail * save_rate episodes)
    print(f"\n| E | final mean reward (last {tail * a.save_rate} episodes), mean ± std over seeds | seconds per run |")
    print("|---|---|---|")
    summary = {}
    for e in a.envs:
        finals = [np.mean(curves[f"E={e} seed {s}"][-tail:]) for s in a.seeds]
        secs = [seconds[f"E={e} seed {s}"] for s in a.seeds]
        summary[e] = {"finals": finals, "mean": float(np.mean(finals)), "std": float(np.std(finals))}
        print(f"| {e} | {np.mean(finals):.1f} ± {np.std(finals):.1f} ({', '.join(f'{x:.1f}' for x in finals)}) "
              f"| {np.mean(secs):.0f} |")
    with open(os.path.join(OUT, f"num_envs_{a.scenario}.json"), "w") as f:
        json.dump({"curves": curves, "seconds": seconds, "summary": summary, "args": vars(a)}, f, indent=1)
    print(f"\nplot: {png}")


if __name__ == "__main__":
    main()
