"""Where the update round's time goes: TensorFlow's profiler over a few train steps, summed by op type.

CPU time per round (summed over TensorFlow's compute threads) is a steadier measure than wall time
on a machine whose host steals time unevenly; use it to compare two versions of the train step.

    python benchmarks/profile_round.py --scenario simple_spread --rounds 20
"""
from __future__ import annotations

import argparse
import collections
import glob
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from maddpg_tf2.quiet_import import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
import tensorflow as tf  # noqa: E402

from maddpg_tf2.config import Config  # noqa: E402


def profile(config: Config, rounds: int) -> collections.Counter:
    """Microseconds per round by op type (compute threads only), from `rounds` profiled train steps."""
    from maddpg_tf2.loop import Trainer
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    trainer = Trainer(config)
    rng = np.random.default_rng(0)
    obs_n = trainer.env.reset()
    while len(trainer.replay) < config.min_replay_size:
        act_n = trainer.policy.act(obs_n, rng)
        new_obs_n, rew, done, _ = trainer.env.step(act_n)
        trainer.replay.add(obs_n, act_n, rew, new_obs_n, done)
        obs_n = new_obs_n
    batch = trainer.replay.sample(config.batch_size, rng)
    for _ in range(5):  # trace and warm up outside the profile
        trainer.learner.train_step(batch)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(rounds):
            trainer.learner.train_step(batch)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
            space.ParseFromString(f.read())
    per_op = collections.Counter()
    for plane in space.planes:
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "?")
                per_op[name.split(":")[-1]] += event.duration_ps / 1e6 / rounds
    return per_op


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--threads", type=int, nargs=2, metavar=("INTRA", "INTER"),
                   default=[Config.intra_op_threads, Config.inter_op_threads])
    p.add_argument("--xla", action="store_true")
    p.add_argument("--agent-updates", default=Config.agent_updates, choices=("sequential", "simultaneous"))
    p.add_argument("--top", type=int, default=20)
    a = p.parse_args(argv)
    from maddpg_tf2.tf_threads import configure_tf_threads
    configure_tf_threads(*a.threads)
    config = Config(scenario=a.scenario, num_envs=64, seed=0, quiet=True, batch_size=a.batch_size,
                    jit_compile=a.xla, agent_updates=a.agent_updates)
    per_op = profile(config, a.rounds)
    # "Process" is the executor's span around each op (the op's own time included).
    total = per_op.pop("Process", sum(per_op.values()))
    print(f"{a.scenario}, {a.agent_updates}, batch {a.batch_size}, threads {a.threads[0]}/{a.threads[1]}"
          f"{', XLA' if a.xla else ''}: CPU per round {total / 1e3:.2f} ms (compute threads)")
    for name, us in per_op.most_common(a.top):
        print(f"  {name[:40]:40s} {us:9.1f} us")


if __name__ == "__main__":
    main()
