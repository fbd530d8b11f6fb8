"""The one place that imports Ray and knows about its addresses: start a local Ray or join a cluster.

Every import of `ray` in the project goes through `require_ray` (tests/test_ray_safety.py checks the
source for strays), so the variable that keeps a local Ray on loopback is set before Ray reads it.
Ray has no authentication: anyone who reaches its ports runs code as the user. A local Ray started
here therefore listens on 127.0.0.1 only, also when the user imported `ray` before this package, and
`connect` refuses to go on if it does not. `auto` or `host:port` joins a cluster: the user's choice.
"""
from __future__ import annotations

import ipaddress
import os
import sys
from typing import Optional

from maddpg_tf2.errors import UserError

_started_here = False
_restore_output = None  # undoes _forwarded_output at shutdown

# Ray 2.x reads this once, when `ray` is imported: "0" makes a local Ray bind 127.0.0.1 instead of
# the machine's outside address (and every port of GCS, raylet and workers follows that address).
LOOPBACK_VARIABLE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def require_ray(flag: str = "Ray"):
    """The ray module (imported with the loopback variable set), or one line naming the extra that
    brings it."""
    os.environ.setdefault(LOOPBACK_VARIABLE, "0")
    try:
        import ray
    except ImportError:
        raise UserError(f"{flag} needs Ray, which is not installed; install the distributed extra: "
                        f"pip install -e \".[distributed]\" (or pip install ray)") from None
    return ray


def require_tune(flag: str = "maddpg-sweep"):
    """Ray Tune (`ray.tune`, imported after the loopback variable is set), or one line naming the
    extra that brings it."""
    require_ray(flag)
    try:
        from ray import tune
    except ImportError:
        raise UserError(f"{flag} needs Ray Tune, which is not installed; install the distributed extra: "
                        f"pip install -e \".[distributed]\" (or pip install \"ray[tune]\")") from None
    return tune


def local_cluster_class():
    """`ray.cluster_utils.Cluster` (several raylets on this machine, on loopback), for benchmarks and
    tests that stand in for a cluster."""
    require_ray("a local cluster")
    from ray.cluster_utils import Cluster
    return Cluster


def connect(address: Optional[str] = None, flag: str = "--ray-address", num_cpus: Optional[int] = None,
            ray_output: bool = False):
    """Start a local Ray (address None or empty) or join the cluster at `address` (`auto`, `host:port`,
    `ray://host:port`). Returns the ray module. Idempotent: an already connected Ray is reused.

    ray_output: show what Ray forwards from its processes (actors' prints and warnings, raylet notes
    such as "a worker died") on stderr; by default it is not shown (it stays in Ray's log folder,
    /tmp/ray/session_latest/logs): stdout keeps the original's lines, stderr the project's one-line
    reports."""
    global _started_here
    ray = require_ray(flag)
    if ray.is_initialized():
        return ray
    _forwarded_output(ray, ray_output)
    kwargs = dict(include_dashboard=False, log_to_driver=ray_output, configure_logging=True,
                  logging_level="ERROR")
    try:
        if address:
            _probe(address)
            ray.init(address=address, **kwargs)
        else:
            _loopback_only(ray)
            # "local": a Ray of this run's own. Without an address Ray joins whatever Ray already runs on
            # the machine (RAY_ADDRESS, /tmp/ray/ray_current_cluster): another user's, listening anywhere.
            ray.init(address="local", num_cpus=num_cpus, **kwargs)
            _started_here = True
    except Exception as e:  # Ray raises bare Exceptions too (e.g. "node timed out during startup")
        shutdown()  # what the failed start left (and Ray's printing as it was)
        raise _unreachable(address, e) from None
    if not address:
        _check_loopback(ray)
    return ray


def _forwarded_output(ray, shown: bool) -> None:
    """Ray prints its processes' output and the raylet's error notes in the driver, the notes on stdout
    whatever `log_to_driver` says (its error listener always runs). Shown: all of it on stderr; not
    shown: none of it. Both reach into Ray's worker module, which has no public switch for this; a
    Ray without these names keeps its own behaviour."""
    global _restore_output
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    if worker is None or _restore_output is not None:
        return
    enabled, printer = getattr(worker, "_worker_logs_enabled", None), getattr(worker, "print_to_stdstream", None)
    if enabled is None or printer is None:
        return

    def to_stderr(data, *args, **kwargs):
        return printer(dict(data, is_err=True), *args, **kwargs)

    if shown:
        worker.print_to_stdstream = to_stderr
    else:
        worker._worker_logs_enabled = False

    def restore():
        worker.print_to_stdstream, worker._worker_logs_enabled = printer, enabled

    _restore_output = restore


def _loopback_only(ray) -> None:
    """Make the Ray about to start bind loopback even when `ray` was imported before the variable was
    set (by the user, or by another library): its child processes read the variable from the
    environment, the driver's choice of address reads Ray's constant, set here as the variable would
    have set it at import."""
    os.environ[LOOPBACK_VARIABLE] = "0"
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    if constants is not None and hasattr(constants, "ENABLE_RAY_CLUSTER"):
        constants.ENABLE_RAY_CLUSTER = False


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and their IPv4-mapped form (::ffff:127.0.0.1)."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host == "localhost"
    return ip.is_loopback or (getattr(ip, "ipv4_mapped", None) is not None and ip.ipv4_mapped.is_loopback)


def _check_loopback(ray) -> None:
    """The local Ray just started must say it lives on a loopback address; stop it otherwise (a Ray
    whose internals changed would listen on the network, unauthenticated)."""
    addresses = [n.get("NodeManagerAddress", "") for n in ray.nodes() if n.get("Alive", True)]
    outside = [a for a in addresses if not is_loopback(a)]
    if outside:
        shutdown()
        raise UserError(f"the local Ray started at {outside[0]} instead of 127.0.0.1 and was stopped (it "
                        f"would accept connections from the network); set {LOOPBACK_VARIABLE}=0 in the "
                        f"environment before Python starts, or start a Ray yourself and pass its address "
                        f"as --ray-address")


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
    global _started_here, _restore_output
    ray = sys.modules.get("ray")
    if ray is None:  # never imported: nothing was started
        return
    if ray.is_initialized():
        ray.shutdown()
    _started_here = False
    if _restore_output is not None:  # a later Ray in this process (the user's own) prints as Ray does
        _restore_output()
        _restore_output = None
