"""How many touches per episode predator-prey's physics allows: three scripted predators that
accelerate straight at the prey, against a prey that does not move at all (it is still pushed by
contacts). The paper reports 16.1 touches for trained predators against a trained prey that is 30%
faster than them; this measures the figure for a prey that does not flee.

    python benchmarks/pp_ceiling.py                 # 1,000 episodes per seed, seeds 0-2
    python benchmarks/pp_ceiling.py --brake 0.2     # predators also damp their own velocity

Writes the touches per episode (mean over episodes, per seed) and the mean touches at each of the
25 steps. A touch is the paper's count, as `--benchmark` computes it: predator-prey contacts summed
over the three predators and the steps.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

from maddpg_tf2.envs.particle import ParticleEnv  # noqa: E402

PREDATORS, PREY = (0, 1, 2), 3


def towards(delta: np.ndarray) -> np.ndarray:
    """The discrete-action vector (no-op, +x, -x, +y, -y) that pushes along `delta` [E, 2], with the
    unit L1 mass of the original's soft actions."""
    a = np.zeros((len(delta), 5))
    a[:, 1], a[:, 2] = np.maximum(delta[:, 0], 0), np.maximum(-delta[:, 0], 0)
    a[:, 3], a[:, 4] = np.maximum(delta[:, 1], 0), np.maximum(-delta[:, 1], 0)
    return a / (np.abs(delta).sum(1, keepdims=True) + 1e-12)


def touches(episodes: int, seed: int, brake: float, steps: int = 25):
    env = ParticleEnv("simple_tag", num_envs=episodes, seed=seed, benchmark=True)
    env.reset()
    still = np.zeros((episodes, 5))
    still[:, 0] = 1.0
    per_step = []
    for _ in range(steps):
        pos, vel = env.state.p_pos, env.state.p_vel
        acts = [towards(pos[:, PREY] - pos[:, i] - brake * vel[:, i]) for i in PREDATORS] + [still]
        _, _, _, info = env.step(acts)
        per_step.append(np.array([sum(world[i] for i in PREDATORS) for world in info], float))
    per_step = np.array(per_step)  # [steps, episodes]
    return per_step.sum(0).mean(), per_step.mean(1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--brake", type=float, default=0.0, help="predators aim at prey - brake * own velocity")
    args = p.parse_args(argv)
    totals = []
    for seed in args.seeds:
        total, by_step = touches(args.episodes, seed, args.brake)
        totals.append(total)
        print(f"seed {seed}: {total:.2f} touches per episode; per step: "
              + " ".join(f"{x:.2f}" for x in by_step))
    print(f"mean over seeds: {np.mean(totals):.2f} (range {min(totals):.2f}-{max(totals):.2f}); "
          f"the paper's trained predators against a trained prey: 16.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
