"""Why simple_speaker_listener falls short of the paper: does the speaker's first layer die?

Trains simple_speaker_listener in-process (maddpg_tf2.loop.Trainer, the CLI's own loop) with the
given maddpg-train flags and, every --every episodes, counts the speaker's first-layer ReLU units
that are active for at least one of the three goal colours the speaker can observe, and how far
apart its message distributions for the three colours are (mean total-variation distance between
the softmax of the logits for each pair of colours; 0 = the message carries no information).

    python benchmarks/dead_speaker.py --episodes 5000 --every 250 --json out.json -- --seed 0
    python benchmarks/dead_speaker.py --episodes 5000 --json out.json -- --seed 0 --lr 1e-3

Flags after `--` go to maddpg-train's parser (--scenario is fixed to simple_speaker_listener).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "compat")]

# The speaker observes the goal landmark's colour, one of these (the scenario's landmark colours).
GOAL_COLOURS = np.array([[0.65, 0.15, 0.15], [0.15, 0.65, 0.15], [0.15, 0.15, 0.65]], np.float32)


def speaker_probe(weights) -> dict:
    """Live first-layer units over the three colours, and the message's spread across colours."""
    h1 = GOAL_COLOURS @ weights[0] + weights[1]
    live = int((h1 > 0).any(axis=0).sum())
    h = np.maximum(h1, 0)
    h = np.maximum(h @ weights[2] + weights[3], 0)
    logits = h @ weights[4] + weights[5]
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    tv = np.mean([0.5 * np.abs(p[a] - p[b]).sum() for a in range(3) for b in range(a + 1, 3)])
    return {"live_units": live, "units": int(weights[0].shape[1]), "message_tv": float(tv),
            "bias1_mean": float(np.mean(weights[1]))}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    train_argv = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--episodes", type=int, default=5000)
    p.add_argument("--every", type=int, default=250)
    p.add_argument("--json", default=None)
    args = p.parse_args(own)

    from maddpg_tf2.cli import parse_config
    from maddpg_tf2.loop import Trainer
    from maddpg_tf2.policy import Policy

    config = parse_config(["--scenario", "simple_speaker_listener", "--quiet", "--exp-name", "dead_speaker",
                           "--plots-dir", os.path.join(ROOT, "tmp", "dead_speaker") + "/",
                           "--save-dir", os.path.join(ROOT, "tmp", "dead_speaker", "policy") + "/"]
                          + train_argv)
    trainer = Trainer(config)
    rows = []
    for target in range(args.every, args.episodes + 1, args.every):
        trainer.config = dataclasses.replace(config, num_episodes=target)
        trainer._loop()
        probe = speaker_probe(Policy.from_learner(trainer.learner).weights_n[0])
        recent = trainer.progress.recent_rewards[-args.every:]
        probe.update(episodes=target, mean_reward=float(np.mean(recent)) if recent else None,
                     update_rounds=trainer.progress.update_rounds)
        rows.append(probe)
        print("episodes {episodes:6d}  rounds {update_rounds:5d}  reward {mean_reward:8.2f}  live speaker "
              "units {live_units:2d}/{units}  message TV {message_tv:.3f}  bias1 mean {bias1_mean:+.3f}"
              .format(**probe), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"train_args": train_argv, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
