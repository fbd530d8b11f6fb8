"""One-line notes to the user on stderr, so that stdout keeps the original's lines byte for byte.

Ground floor (imports nothing from the project): checkpoint reading, the loop and the distributed
seams all report through it.
"""
from __future__ import annotations

import sys


def notice(text: str) -> None:
    """A one-line note on stderr, prefixed `maddpg-train: note:`."""
    print(f"maddpg-train: note: {text}", file=sys.stderr, flush=True)
