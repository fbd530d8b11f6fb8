"""Train, display or benchmark MADDPG on the particle environments: the original's `train.py`.

Runs as `python experiments/train.py ...` from the repository root and as `python train.py ...`
inside experiments/; the console script `maddpg-train` is the same program (maddpg_tf2/cli.py).
"""
import os
import sys

if __package__ in (None, ""):
    # Run as a plain script from a checkout: make the library and the compat packages importable.
    _root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:0] = [_root, os.path.join(_root, "compat")]

from maddpg_tf2.cli import build_parser, main, parse_config  # noqa: E402,F401  (the original's names)

if __name__ == "__main__":
    sys.exit(main())
