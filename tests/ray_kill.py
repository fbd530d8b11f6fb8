"""A CLI run through a subprocess that joins this test process's Ray, with one of its actors' processes
killed (SIGKILL) once the run has printed its first save line (helper of the Ray fault tests)."""
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import psutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
# What must not follow a lost actor on stderr: a C++ abort, a stack dump, a Python traceback.
CRASH = re.compile(r"Aborted|Stack trace|\*\*\* SIG|^[FE]\d{4} |Traceback|core dumped", re.M)


def run_and_kill(args, actor_class: str, keep=(), timeout: float = 300):
    """(returncode, stdout, stderr, pid killed) of `maddpg_tf2.cli args`; the killed process is the
    first of this process's Ray workers whose title names `actor_class` and whose pid is not in
    `keep` (actors of the test module's own)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat"),
                                                       os.environ.get("PYTHONPATH", "")]))
    with open(os.devnull, "rb") as stdin:
        proc = subprocess.Popen([sys.executable, "-m", "maddpg_tf2.cli", *map(str, args)], stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    os.set_blocking(proc.stdout.fileno(), False)
    out, killed, deadline = "", None, time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        out += proc.stdout.read() or ""
        if killed is None and "steps: " in out:
            for p in psutil.Process().children(recursive=True):
                try:
                    if p.pid not in keep and f"ray::{actor_class}" in " ".join(p.cmdline()):
                        os.kill(p.pid, signal.SIGKILL)
                        killed = p.pid
                        break
                except psutil.Error:
                    pass
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    os.set_blocking(proc.stdout.fileno(), True)
    rest, err = proc.communicate()
    return proc.returncode, out + rest, err, killed
