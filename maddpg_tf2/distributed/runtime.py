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
import re
import sys
import time
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


LOW_MEMORY = "its worker was killed because the node ran low on memory"


def lost_workers(error: BaseException):
    """What Ray lost, when `error` (raised by Ray Tune's Tuner.fit, or anything else) comes from Ray
    losing worker processes in a way the caller did not handle: (kind, reason, pids), kind "memory"
    when Ray's memory monitor killed them (OutOfMemoryError), "worker" for another Ray system error
    (a crashed worker, a lost node); pids: the worker pids Ray's message names (maybe none). None when
    the error is something else (a bug, the user's code)."""
    ray = sys.modules.get("ray")
    if ray is None:
        return None
    exceptions = ray.exceptions
    seen = error
    for _ in range(8):  # Tune wraps the error it did not expect: RuntimeError(...) from the Ray error
        if seen is None:
            return None
        if isinstance(seen, exceptions.OutOfMemoryError):
            return "memory", LOW_MEMORY, _pids(seen)
        if isinstance(seen, exceptions.RayError) and not isinstance(seen, exceptions.RayTaskError):
            first = (str(seen).strip().splitlines() or [type(seen).__name__])[0][:160]
            return "worker", f"Ray lost its worker: {type(seen).__name__}: {first}", _pids(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _pids(error: BaseException) -> set:
    return {int(p) for p in re.findall(r"\bpid[=:]\s*(\d+)", str(error), flags=re.I)}


# ----------------------------------------------------------------------------- actors: room and start-up

# What one Ray worker process running TensorFlow costs beyond what processes share (the libraries'
# pages): measured as the unique memory (USS) of an explorer and of a coded learner at the defaults,
# 0.38 and 0.44 GiB (benchmarks/RESULTS.md, "Memory of a Ray worker"); the larger, rounded up, counts.
WORKER_BYTES = int(0.45 * 2**30)
# Actors not ready by then will not be: Ray keeps restarting them (killed for memory while they start)
# or the cluster has no room for them. Generous: a learner builds, traces and warms up its networks,
# on a busy 2-core machine in tens of seconds.
STARTUP_TIMEOUT_S = 300.0
STARTUP_NOTE_S = 30.0  # a start-up still going after this long says so once


def connect_with_room(address: Optional[str], count: int, option: str, value: int, per_process: int = WORKER_BYTES,
                      **connect_kwargs):
    """`connect(address, **connect_kwargs)`, refusing first, in one line, `count` worker processes of
    `per_process` bytes (asked for by `option value`) that there is no room for: a local Ray is
    checked against the memory this machine has available before it starts, a joined cluster against
    its schedulable memory (Ray's `memory` resource) once joined. Returns the ray module."""
    if not address:
        check_room(count, option, value, per_process)
        return connect(address, **connect_kwargs)
    ray = connect(address, **connect_kwargs)
    room = ray.cluster_resources().get("memory")
    if room is not None:
        check_room(count, option, value, per_process, room, "the Ray cluster has")
    return ray


def check_room(count: int, option: str, value: int, per_process: int, room: Optional[float] = None,
               where: str = "this machine has") -> None:
    """UserError when `count` processes of `per_process` bytes exceed `room` bytes (None: the memory
    available on this machine now; no check where that cannot be read)."""
    from maddpg_tf2.safety import available_memory

    room = available_memory() if room is None else room
    need = count * per_process
    if room is not None and need > room:
        most = value - (count - int(room // per_process))  # the processes that fit, less the fixed ones
        fix = f"pass at most {option} {most}" if most >= 1 else "free memory"
        raise UserError(f"{option} {value} needs about {need / 2**30:.1f} GiB for its {count} Ray worker processes "
                        f"(about {per_process / 2**30:.2f} GiB each with TensorFlow) but {where} "
                        f"{room / 2**30:.1f} GiB available; {fix}, or run on a Ray cluster with more memory "
                        f"(--ray-address)")


def wait_ready(ray, ask, count: int, what: str, fix: str, timeout: float = None, note=None) -> list:
    """The answers of `ask(k)` for k < count (each actor's first call, e.g. a ping: `ask` returns its
    ObjectRef) once every one is in: a slow start is waited for, up to `timeout` seconds
    (STARTUP_TIMEOUT_S), with one note (`note`, a callable taking the line) if it takes longer than
    STARTUP_NOTE_S; an actor that Ray is restarting is asked again. UserError in one line when some
    are not ready by then (Ray restarts them again and again, or has no room for them) or when one
    could not start at all (its constructor raised); `fix` says what to do."""
    timeout = STARTUP_TIMEOUT_S if timeout is None else float(timeout)
    refs = [ask(k) for k in range(count)]
    answers = {}
    start = time.monotonic()
    said = False
    while True:
        waiting = [k for k in range(count) if k not in answers]
        left = timeout - (time.monotonic() - start)
        ready, _ = ray.wait([refs[k] for k in waiting], num_returns=len(waiting), timeout=max(0.0, min(left, 1.0)))
        ready = set(ready)
        for k in waiting:
            if refs[k] not in ready:
                continue
            try:
                answers[k] = ray.get(refs[k])
            except ray.exceptions.ActorUnavailableError:  # restarting (killed as it started): ask again
                time.sleep(0.2)
                refs[k] = ask(k)
            except ray.exceptions.RayError as e:  # its constructor raised: at once, not at the timeout
                first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
                raise UserError(f"{what} could not start ({first}); {fix}") from e
        if len(answers) == count:
            return [answers[k] for k in range(count)]
        elapsed = time.monotonic() - start
        if elapsed >= timeout:
            raise UserError(f"{what}: {count - len(answers)} of {count} did not start within {timeout:.0f} s (Ray "
                            f"restarts an actor killed while it starts, e.g. for lack of memory, and waits "
                            f"for room for one that does not fit); {fix}")
        if note is not None and not said and elapsed >= STARTUP_NOTE_S:
            said = True
            note(f"{what}: {len(answers)} of {count} ready after {elapsed:.0f} s; waiting up to {timeout:.0f} s")
