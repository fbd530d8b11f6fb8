"""The one place that knows about Ray addresses and resources: start a local Ray or join a cluster.

A local Ray started here listens on loopback only (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 makes Ray 2.x
bind 127.0.0.1 instead of the machine's outside address); `auto` or `host:port` joins a cluster.
"""
from __future__ import annotations

import os
from typing import Optional

from maddpg_tf2.errors import UserError

_started_here = False


def require_ray(flag: str):
    """The ray module, or one line naming the extra that brings it."""
    try:
        import ray
    except ImportError:
        raise UserError(f"{flag} needs Ray, which is not installed; install the distributed extra: "
                        f"pip install -e \".[distributed]\" (or pip install ray)") from None
    return ray


def connect(address: Optional[str] = None, flag: str = "--ray-address", num_cpus: Optional[int] = None):
    """Start a local Ray (address None or empty) or join the cluster at `address` (`auto`, `host:port`,
    `ray://host:port`). Returns the ray module. Idempotent: an already connected Ray is reused."""
    global _started_here
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # before Ray starts: loopback only
    ray = require_ray(flag)
    if ray.is_initialized():
        return ray
    kwargs = dict(include_dashboard=False, log_to_driver=True, configure_logging=True,
                  logging_level="ERROR")
    try:
        if address:
            _probe(address)
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus, **kwargs)
            _started_here = True
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as e:
        raise _unreachable(address, e) from None
    return ray


def check_reachable(address: Optional[str]) -> None:
    """A UserError in seconds when something is known not to answer at `address` (host:port)."""
    if address:
        try:
            _probe(address)
        except ConnectionError as e:
            raise _unreachable(address, e) from None


def _unreachable(address: Optional[str], e: Exception) -> UserError:
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    fix = ("start one with `ray start --head` there, or pass its address as --ray-address host:port"
           if address else "check that /tmp is writable and no stale Ray processes hold its ports "
           "(`ray stop`)")
    return UserError(f"cannot start or reach {where}: {first}; {fix}")


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes, when nothing listens at host:port (Ray itself retries for long)."""
    import socket

    hostport = address.split("://", 1)[-1]
    if hostport == "auto" or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as e:
        raise ConnectionError(f"nothing answers at {hostport} ({getattr(e, 'strerror', None) or e})") from None


def shutdown() -> None:
    """Stop the Ray this process started (a joined cluster is only disconnected)."""
    global _started_here
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
    _started_here = False
