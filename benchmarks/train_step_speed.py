"""The train step alone, sequential against simultaneous agent updates (and XLA), interleaved in one
process: wall and CPU milliseconds per update round on one fixed random batch of the scenario's
shapes. CPU time (both of TensorFlow's threads together) is the steadier figure on a shared machine;
wall time shows what running ops side by side gains.

    python benchmarks/train_step_speed.py --scenario simple_spread --repeats 15 --xla
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--rounds", type=int, default=10, help="update rounds per timing")
    p.add_argument("--repeats", type=int, default=15, help="timings per variant, interleaved")
    p.add_argument("--xla", action="store_true", help="also time both orders with --jit-compile")
    p.add_argument("--threads", type=int, nargs=2, metavar=("INTRA", "INTER"), default=None)
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    from maddpg_tf2.config import Config
    from maddpg_tf2.tf_threads import configure_tf_threads
    threads = a.threads or [Config.intra_op_threads, Config.inter_op_threads]
    configure_tf_threads(*threads)
    import_tensorflow_quietly()
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.learner import Learner

    env = make_env(a.scenario, num_envs=1, seed=0)
    obs_dims = [s.shape[0] for s in env.observation_space_n]
    modes = ("sequential", "simultaneous", "simultaneous unstacked")
    variants = [(m, x) for x in ((False, True) if a.xla else (False,)) for m in modes]
    learners = {}
    for mode, xla in variants:
        learners[mode, xla] = Learner(Config(scenario=a.scenario, seed=0, batch_size=a.batch_size, jit_compile=xla,
                                             agent_updates=mode.split()[0]), obs_dims, list(env.action_space_n))
        learners[mode, xla].stack_agents = "unstacked" not in mode
    first = learners[variants[0]]
    n, b, rng = first.n, a.batch_size, np.random.default_rng(0)
    batch = {"obs": rng.standard_normal((n, b, sum(first.obs_dims))), "act": rng.random((n, b, sum(first.act_dims))),
             "next_obs": rng.standard_normal((n, b, sum(first.obs_dims))), "rew": rng.standard_normal((n, b, n)),
             "done": np.zeros((n, b, n))}
    batch = {k: v.astype(np.float32) for k, v in batch.items()}
    for lrn in learners.values():
        for _ in range(3):  # trace (and compile) outside the timings
            lrn.train_step(batch)
    times = {v: [] for v in variants}
    for _ in range(a.repeats):
        for v, lrn in learners.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(a.rounds):
                metrics = lrn.train_step(batch)
            float(next(iter(metrics.values())))
            times[v].append(((time.perf_counter() - t0) / a.rounds * 1e3, (time.process_time() - c0) / a.rounds * 1e3))
    print(f"{a.scenario}, batch {b}, {n} agents, threads {threads[0]}/{threads[1]}, {a.repeats} interleaved timings "
          f"of {a.rounds} rounds each; ms per round")
    print(f"{'variant':22s} {'wall min':>9s} {'wall median':>12s} {'cpu min':>8s} {'cpu median':>11s}")
    rows = []
    for (mode, xla), ts in times.items():
        wall, cpu = np.array([t[0] for t in ts]), np.array([t[1] for t in ts])
        name = mode + (" XLA" if xla else "")
        rows.append({"variant": name, "wall_ms": wall.tolist(), "cpu_ms": cpu.tolist()})
        print(f"{name:22s} {wall.min():9.2f} {np.median(wall):12.2f} {cpu.min():8.2f} {np.median(cpu):11.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"args": vars(a), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
