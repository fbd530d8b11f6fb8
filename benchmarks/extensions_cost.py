"""Cost of one update round with the paper's extensions (policy ensembles, inferred policies) next to
plain MADDPG: the compiled train step and the batch sampling, interleaved, on one replay filled with
random transitions of a scenario.

    python benchmarks/extensions_cost.py --scenario simple_spread --rounds 30 --repeats 3
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--transitions", type=int, default=50_000)
    args = p.parse_args(argv)

    from maddpg_tf2.config import Config
    from maddpg_tf2.ensembles import make_sampler
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.learner import Learner
    from maddpg_tf2.replay import Replay
    from maddpg_tf2.tf_threads import configure_tf_threads

    configure_tf_threads(1, 2)
    env = make_env(args.scenario, num_envs=64, seed=0)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    variants = {"maddpg": {}, "K=3": {"ensemble_size": 3}, "infer": {"infer_policies": True},
                "K=3+infer": {"ensemble_size": 3, "infer_policies": True}}
    rng = np.random.default_rng(0)
    setups = {}
    for name, extra in variants.items():
        config = Config(scenario=args.scenario, seed=0, **extra)
        learner = Learner(config, obs_dims, list(env.action_space_n))
        replay = Replay(config.buffer_size, learner.obs_dims, learner.act_dims, num_envs=64,
                        num_tags=env.n if config.ensemble_size > 1 else 0)
        K = config.ensemble_size
        obs = [rng.normal(size=(64, d)) for d in learner.obs_dims]
        for t in range(args.transitions // 64):
            if t % 25 == 0:  # episodes of 25 steps, as in training (a terminal row after each)
                obs = [rng.normal(size=(64, d)) for d in learner.obs_dims]
                tags = rng.integers(0, K, (64, env.n)) if K > 1 else None
            act = [rng.random((64, k)) for k in learner.act_dims]
            nxt = [rng.normal(size=(64, d)) for d in learner.obs_dims]
            replay.add(obs, act, rng.normal(size=(64, env.n)), nxt, np.zeros((64, env.n)), tags=tags)
            obs = nxt
        sample = make_sampler(config, replay)
        learner.train_step(sample(config.batch_size, rng))  # trace
        setups[name] = (learner, sample, config.batch_size)
    times = {name: {"sample": [], "train_step": []} for name in variants}
    for _ in range(args.repeats):
        for name, (learner, sample, b) in setups.items():
            t0 = time.perf_counter()
            batches = [sample(b, rng) for _ in range(args.rounds)]
            t1 = time.perf_counter()
            for batch in batches:
                learner.train_step(batch)
            t2 = time.perf_counter()
            times[name]["sample"].append((t1 - t0) / args.rounds * 1e3)
            times[name]["train_step"].append((t2 - t1) / args.rounds * 1e3)
    base = np.median(times["maddpg"]["train_step"]) + np.median(times["maddpg"]["sample"])
    print(f"{args.scenario}: ms per update round (median of {args.repeats} interleaved repeats of {args.rounds} rounds; range)")
    for name, t in times.items():
        total = np.median(t["train_step"]) + np.median(t["sample"])
        print(f"  {name:10s} sample {np.median(t['sample']):7.1f} [{min(t['sample']):.1f}-{max(t['sample']):.1f}]"
              f"  train_step {np.median(t['train_step']):7.1f} [{min(t['train_step']):.1f}-{max(t['train_step']):.1f}]"
              f"  total x{total / base:.2f}")


if __name__ == "__main__":
    main()
