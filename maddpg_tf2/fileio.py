"""Atomic file writes: write to a temporary file in the same folder, then rename over the target.

A crash or Ctrl-C mid-write leaves the previous file intact, never a truncated one.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def remove_stale_temporaries(folder, name_globs) -> list:
    """Remove the temporary files atomic_path left beside targets matching `name_globs` (e.g.
    "run_*.pkl") when a process was killed mid-write; returns the paths removed. Only call this
    where no other process writes those targets at the same time."""
    import glob

    removed = []
    for name_glob in name_globs:
        for path in glob.glob(os.path.join(glob.escape(os.fspath(folder)), "." + name_glob + ".*.tmp")):
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_pickle(path, obj) -> None:
    write_bytes(path, pickle.dumps(obj))
