"""Ray explorers against the single-process loop (issue 10).

Measures, side by side in one process and one local Ray:
- episodes/s and update rounds/s of real training runs once updates have started (from the first
  progress mark with an update to the last), for the single-process loop and K explorers, local and
  central inference, synchronous and --async-updates (with the update-to-data ratio it reached);
- the data rate of one explorer alone (transitions/s of `collect` blocks, no learner), as a Ray
  actor, against the same worlds stepped and acted in this process (EnvCollector).

    python benchmarks/explorers.py --scenario simple_spread --episodes 1500 --repeats 2 --json out.json

Runs are interleaved (repeat 1 of every setting, then repeat 2, ...) so that a busy machine
affects all settings alike; report ranges, not single numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from maddpg_tf2.config import Config  # noqa: E402


def settings(args):
    """(label, Config changes) of every measured setting."""
    E = args.num_envs
    return [
        ("single process", dict(explorers=0, num_envs=E)),
        ("K=1 local", dict(explorers=1, num_envs=E)),
        ("K=2 local", dict(explorers=2, num_envs=E)),
        ("K=2 local, E/2 each", dict(explorers=2, num_envs=E // 2)),
        ("K=2 central", dict(explorers=2, num_envs=E, inference="central")),
        ("K=2 local async", dict(explorers=2, num_envs=E, async_updates=True)),
    ]


def timed_training(base: Config, changes: dict) -> dict:
    from maddpg_tf2.loop import Trainer

    with tempfile.TemporaryDirectory() as tmp:
        config = base.replace(save_dir=os.path.join(tmp, "save"), plots_dir=os.path.join(tmp, "plots"), **changes)
        trainer = Trainer(config)
        marks = []
        show = trainer.logger.progress

        def progress(completed, steps):
            marks.append((time.perf_counter(), completed, trainer.progress.update_rounds, steps))
            show(completed, steps)

        trainer.logger.progress = progress
        trainer.train()
    marks = np.array(marks)
    start = int(np.argmax(marks[:, 2] > 0))  # first mark after an update
    t, eps, rounds, steps = (marks[-1] - marks[start])
    return {"episodes_per_s": eps / t, "update_rounds_per_s": rounds / t, "transitions_per_s": steps / t,
            "updates_per_100_transitions": 100.0 * rounds / steps, "measured_s": t}


def explorer_alone(base: Config, blocks: int, steps: int) -> dict:
    """Transitions/s of one explorer's `collect` (as a Ray actor; local and central inference) and of
    the same worlds stepped and acted in this process."""
    import pickle

    from maddpg_tf2.collectors import EnvCollector
    from maddpg_tf2.distributed.explorers import Explorer, Inference
    from maddpg_tf2.distributed.runtime import require_ray
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.loop import build_agents

    ray = require_ray()
    env = make_env(base.scenario, num_envs=base.num_envs, seed=0)
    learner, policy = build_agents(base, env)
    out = {}
    for mode in ("local", "central"):
        name, inference = None, None
        if mode == "central":
            name = f"bench_inference_{time.time_ns()}"
            inference = ray.remote(Inference).options(name=name, num_cpus=1).remote(
                policy.weights_n, learner.obs_dims, 1)
            ray.get(inference.set_weights.remote(policy.weights_n))
        actor = ray.remote(Explorer).options(num_cpus=1).remote(
            0, base.scenario, base.num_envs, base.max_episode_len, 0, 0, pickle.dumps(policy.dists),
            policy.weights_n, name)
        ray.get(actor.collect.remote(None, steps, False))  # warm
        t = time.perf_counter()
        for _ in range(blocks):
            ray.get(actor.collect.remote(None, steps, False))
        out[f"ray_actor_{mode}_transitions_per_s"] = blocks * steps * base.num_envs / (time.perf_counter() - t)
        for a in (actor, inference):
            if a is not None:
                ray.kill(a)
    collector = EnvCollector(env, policy, np.random.default_rng(0), base.max_episode_len)
    collector.start()
    t = time.perf_counter()
    for _ in range(blocks * steps):
        collector.step()
    out["in_process_transitions_per_s"] = blocks * steps * base.num_envs / (time.perf_counter() - t)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--num-envs", type=int, default=64)
    p.add_argument("--episodes", type=int, default=1500)
    p.add_argument("--learning-starts", type=int, default=10000, help="transitions before updates start")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--only", default="", help="comma-separated labels of training settings to run (default: all; 'none': none)")
    p.add_argument("--json", default="")
    args = p.parse_args()

    from maddpg_tf2.distributed.runtime import connect
    from maddpg_tf2.quiet_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from maddpg_tf2.tf_threads import configure_tf_threads

    base = Config(scenario=args.scenario, num_envs=args.num_envs, num_episodes=args.episodes,
                  learning_starts=args.learning_starts, save_rate=args.episodes, quiet=True, seed=0)
    configure_tf_threads(base.intra_op_threads, base.inter_op_threads)
    connect(None, num_cpus=max(os.cpu_count() or 1, 3))
    results = {"command": " ".join(sys.argv), "cpus": os.cpu_count(), "runs": {}}
    chosen = [s for s in settings(args) if not args.only or s[0] in args.only.split(",")]
    for r in range(args.repeats):
        for label, changes in chosen:
            out = timed_training(base, changes)
            results["runs"].setdefault(label, []).append(out)
            print(f"[{r}] {label:24s} {out['episodes_per_s']:7.1f} eps/s  {out['update_rounds_per_s']:6.1f} "
                  f"updates/s  {out['updates_per_100_transitions']:.2f} updates/100 transitions", flush=True)
        alone = explorer_alone(base, blocks=20, steps=25)
        results.setdefault("explorer_alone", []).append(alone)
        print(f"[{r}] one explorer alone, transitions/s: {alone['ray_actor_local_transitions_per_s']:.0f} as a Ray "
              f"actor (local inference), {alone['ray_actor_central_transitions_per_s']:.0f} (central inference), "
              f"{alone['in_process_transitions_per_s']:.0f} stepped in this process", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
