"""Dead ReLU units of a trained checkpoint's actors, on the observations its own policy visits.

Runs the saved policy for --episodes episodes in --num-envs worlds (sampled actions, as training
and the benchmark act) and counts, per agent and hidden layer, the units that are positive for at
least one visited observation. A unit that never fires passes no gradient and never recovers.

    python benchmarks/dead_units.py tmp/paper_runs/default/sl_maddpg_s0/policy/ --scenario simple_speaker_listener
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "compat")]


def live_units(weights, obs: np.ndarray):
    """[live units of layer 1, of layer 2] over the rows of obs."""
    h1 = np.maximum(obs @ weights[0] + weights[1], 0)
    h2 = np.maximum(h1 @ weights[2] + weights[3], 0)
    return [int((h1 > 0).any(0).sum()), int((h2 > 0).any(0).sum())]


def probe(load_dir: str, scenario: str, num_adversaries: int = 0, num_units: int = 64,
          episodes: int = 128, num_envs: int = 64, seed: int = 0) -> dict:
    import maddpg_tf2
    from maddpg_tf2.envs.make import make_env

    agents = maddpg_tf2.load(load_dir, scenario=scenario, num_units=num_units, num_adversaries=num_adversaries)
    env = make_env(scenario, num_envs=num_envs, seed=seed)
    rng = np.random.default_rng(seed)
    seen = [[] for _ in range(env.n)]
    for _ in range(max(1, episodes // num_envs)):
        obs_n = env.reset()
        for _ in range(25):
            for i, o in enumerate(obs_n):
                seen[i].append(np.asarray(o, np.float32))
            obs_n, _, _, _ = env.step(agents.policy.act(obs_n, rng))
    out = {"load_dir": load_dir, "scenario": scenario, "units": num_units, "agents": []}
    for i in range(env.n):
        obs = np.concatenate(seen[i])
        out["agents"].append(live_units(agents.policy.weights_n[i], obs))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("load_dirs", nargs="+")
    p.add_argument("--scenario", required=True)
    p.add_argument("--num-adversaries", type=int, default=0)
    p.add_argument("--num-units", type=int, default=64)
    p.add_argument("--episodes", type=int, default=128)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    results = []
    for d in args.load_dirs:
        r = probe(d, args.scenario, args.num_adversaries, args.num_units, args.episodes)
        results.append(r)
        print("{}: live units per agent [layer 1, layer 2] of {}: {}".format(d, r["units"], r["agents"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
