"""md5 of the reward pickles of a tiny seeded CLI run of every update mode (issue #19: a refactor of
the update must leave these byte-identical).

    python3 benchmarks/mode_md5s.py [OUT_DIR]      # default /tmp/mode-md5s

Each mode runs `maddpg-train` (through `python3 -m maddpg_tf2.cli`, so PYTHONPATH decides which tree
runs) on simple_spread for 60 episodes of 25 steps with updates from transition 256 on, every 25
transitions, and prints `mode  md5(_rewards.pkl)  md5(_agrewards.pkl)`. The coded mode uses the
uncoded scheme (`none`): every agent decoded from exactly one learner, so no float64 rounding
depends on which answers arrive first.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

BASE = ["--scenario", "simple_spread", "--seed", "3", "--num-episodes", "60", "--save-rate", "20",
        "--batch-size", "64", "--num-envs", "4", "--max-episode-len", "25", "--learning-starts", "256",
        "--update-every", "25", "--quiet"]

MODES = {
    "sequential": [],
    "simultaneous": ["--agent-updates", "simultaneous"],
    "ensemble2_infer": ["--ensemble-size", "2", "--infer-policies"],
    "coded_none": ["--coded-scheme", "none", "--learners", "3"],
    "explorers1": ["--explorers", "1"],
}


def md5(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def run(mode: str, out: str) -> tuple:
    run_dir = os.path.join(out, mode)
    cmd = [sys.executable, "-m", "maddpg_tf2.cli"] + BASE + MODES[mode] + [
        "--exp-name", mode, "--save-dir", os.path.join(run_dir, "policy") + "/",
        "--plots-dir", run_dir + "/", "--overwrite"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return md5(os.path.join(run_dir, f"{mode}_rewards.pkl")), md5(os.path.join(run_dir, f"{mode}_agrewards.pkl"))


def main(argv) -> None:
    out = argv[1] if len(argv) > 1 else "/tmp/mode-md5s"
    modes = argv[2:] or list(MODES)
    for mode in modes:
        rewards, agrewards = run(mode, out)
        print(f"{mode:16s} {rewards}  {agrewards}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
