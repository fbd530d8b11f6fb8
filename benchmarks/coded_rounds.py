"""Time per coded update round against the number of stragglers, per scheme and the uncoded baseline
(the kind of figure of Wang, Xie, Atanasov 2021): N Ray learners on this machine, small networks,
stragglers simulated by a delay. The uncoded baseline (`none`) runs on M of the learners, one agent
each (with N > M learners it would leave N - M idle, and a straggler drawn among those costs
nothing). Rounds of all settings are interleaved (repeat r of every setting before repeat r + 1),
so load changes on a shared machine hit every setting alike.

    python benchmarks/coded_rounds.py --learners 6 --delay 1.0 --repeats 4
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
from maddpg_tf2.distributed import runtime  # noqa: E402
from maddpg_tf2.distributed.coded.codes import SCHEMES, make_code, max_tolerated  # noqa: E402
from maddpg_tf2.distributed.coded.controller import CodedUpdater  # noqa: E402
from maddpg_tf2.distributed.coded.learners import LearnerPool  # noqa: E402
from maddpg_tf2.envs.make import make_env  # noqa: E402
from maddpg_tf2.loop import build_agents  # noqa: E402
from maddpg_tf2.replay import Replay  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


def filled_replay(config, env, learner, policy, steps, rng):
    replay = Replay(10_000, learner.obs_dims, learner.act_dims, num_envs=env.num_envs)
    obs_n = env.reset()
    for _ in range(steps):
        act_n = policy.random_actions(env.num_envs, rng)
        new_obs_n, rew, done, _ = env.step(act_n)
        replay.add(obs_n, act_n, rew, new_obs_n, done)
        obs_n = new_obs_n
    return replay


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--learners", type=int, default=6)
    p.add_argument("--delay", type=float, default=1.0, help="seconds a straggler waits")
    p.add_argument("--repeats", type=int, default=4, help="rounds per (scheme, stragglers)")
    p.add_argument("--num-units", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--schemes", nargs="+", default=list(SCHEMES))
    p.add_argument("--out", default=os.path.join(OUT, "coded_rounds"))
    a = p.parse_args(argv)

    config = Config(scenario=a.scenario, num_units=a.num_units, batch_size=a.batch_size, seed=0, num_envs=8)
    env = make_env(config.scenario, num_envs=8, seed=0)
    learner, policy = build_agents(config, env)
    rng = np.random.default_rng(0)
    replay = filled_replay(config, env, learner, policy, 100, rng)
    runtime.connect(None)
    t = time.perf_counter()
    pool = LearnerPool(config, learner.obs_dims, list(env.action_space_n), learner.local_q_n, a.learners)
    print(f"{a.learners} learners up in {time.perf_counter() - t:.0f} s", flush=True)
    M, N = learner.n, a.learners
    size = {s: M if s == "none" else N for s in a.schemes}
    codes = {s: make_code(s, size[s], M, seed=0) for s in a.schemes}
    updaters = {s: CodedUpdater(learner, codes[s], pool.subset(size[s]), seed=0) for s in a.schemes}
    for u in updaters.values():  # one round each without stragglers: first-call costs out of the way
        u.train_step(replay.sample(a.batch_size, rng))
    times = {s: {k: [] for k in range(size[s])} for s in a.schemes}
    for r in range(a.repeats):
        for k in range(N):
            for s, u in updaters.items():
                if k >= size[s]:
                    continue
                u.stragglers, u.straggler_delay, u.round_timeout = k, a.delay, 60.0
                u.train_step(replay.sample(a.batch_size, rng))
                times[s][k].append(u.last_round_seconds)
        print(f"repeat {r + 1}/{a.repeats} done", flush=True)
    pool.close()
    runtime.shutdown()

    summary = {"scenario": a.scenario, "agents": M, "learners": size, "delay_s": a.delay, "repeats": a.repeats,
               "num_units": a.num_units, "batch_size": a.batch_size,
               "tolerated": {s: max_tolerated(codes[s]) for s in a.schemes},
               "agents_per_learner": {s: float(np.mean([len(codes[s].row_agents(j))
                                                        for j in codes[s].active_rows()])) for s in a.schemes},
               "seconds": times}
    with open(a.out + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for s in a.schemes:
        ks = np.arange(size[s])
        mean = np.array([np.mean(times[s][k]) for k in ks])
        lo = mean - np.array([np.min(times[s][k]) for k in ks])
        hi = np.array([np.max(times[s][k]) for k in ks]) - mean
        label = f"uncoded (none, N = {M})" if s == "none" else s
        ax.errorbar(ks, mean, yerr=[lo, hi], marker="o", capsize=3, label=label)
    ax.set_xlabel("stragglers S (delay %.1f s each)" % a.delay)
    ax.set_ylabel("seconds per update round")
    ax.set_title(f"{a.scenario}: M={M} agents, N={N} learners")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out + ".png", dpi=110)
    print("\n| stragglers | " + " | ".join(a.schemes) + " |")
    print("|---|" + "---|" * len(a.schemes))
    for k in range(N):
        cells = [f"{np.mean(times[s][k]):.2f} ({np.min(times[s][k]):.2f}-{np.max(times[s][k]):.2f})"
                 if k < size[s] else "-" for s in a.schemes]
        print(f"| {k} | " + " | ".join(cells) + " |")
    print("\ntolerated stragglers:", summary["tolerated"])
    print("agents per active learner:", summary["agents_per_learner"])


if __name__ == "__main__":
    main()
