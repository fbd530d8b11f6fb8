"""Steps per second of the vectorised particle engine, per scenario and number of worlds E.

A step here is `env.step(act_n)` for all E worlds with random soft actions drawn beforehand, plus
a masked reset of the worlds that finish their 25-step episode (as the training loop does);
world-steps/s = E * steps/s. Compare code versions side by side by pointing PYTHONPATH at a
checkout of each (e.g. one made with `git worktree add /tmp/before <commit>`).

    python benchmarks/env_speed.py [--seconds 0.5] [--envs 1 64 256] [--scenarios simple_spread ...]
"""
import argparse
import time

import numpy as np

from maddpg_tf2.envs.particle import ParticleEnv
from maddpg_tf2.envs.scenarios import BUILTIN_NAMES

EPISODE_LEN = 25


def soft_actions(env, rng, count):
    """`count` batches of softmax action vectors, one sub-space at a time as the policy sends them."""
    out = []
    for _ in range(count):
        act_n = []
        for space in env.action_space_n:
            sizes = space.sizes if hasattr(space, "sizes") else [space.n]
            parts = [rng.random((env.num_envs, k)) for k in sizes]
            act_n.append(np.concatenate([p / p.sum(axis=1, keepdims=True) for p in parts], axis=1))
        out.append(act_n)
    return out


def measure(name, num_envs, seconds, benchmark=False):
    """Steps/s: the median over chunks of one episode length (25 steps, so each chunk resets every
    world once); the median keeps a busy shared machine's pauses out of the figure."""
    env = ParticleEnv(name, num_envs=num_envs, seed=0, benchmark=benchmark)
    rng = np.random.default_rng(0)
    actions = soft_actions(env, rng, EPISODE_LEN)
    # worlds start staggered so that every step resets about E/25 of them, as in the loop
    episode_step = np.arange(num_envs) % EPISODE_LEN
    chunks, start = [], time.perf_counter()
    while True:
        t0 = time.perf_counter()
        for act_n in actions:
            env.step(act_n)
            episode_step += 1
            done = episode_step >= EPISODE_LEN
            if done.any():
                env.reset(done)
                episode_step[done] = 0
        t1 = time.perf_counter()
        chunks.append(t1 - t0)
        if t1 - start >= seconds and len(chunks) >= 3:
            return len(actions) / float(np.median(chunks))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement")
    parser.add_argument("--envs", type=int, nargs="+", default=[1, 64, 256])
    parser.add_argument("--scenarios", nargs="+", default=list(BUILTIN_NAMES))
    parser.add_argument("--benchmark-info", action="store_true", help="also compute benchmark_data")
    args = parser.parse_args()
    header = "%-24s" % "scenario" + "".join("  E=%-4d steps/s  world-steps/s  ms/step" % e for e in args.envs)
    print(header)
    for name in args.scenarios:
        row = "%-24s" % name
        for e in args.envs:
            sps = measure(name, e, args.seconds, args.benchmark_info)
            row += "  %13.0f  %13.0f  %7.3f" % (sps, sps * e, 1e3 / sps)
        print(row, flush=True)


if __name__ == "__main__":
    main()
