"""A CLI run through a subprocess that joins this test process's Ray, with one of its actors' processes
killed (SIGKILL) once the run has printed its first save line (helper of the Ray fault tests)."""
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
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
    with tempfile.TemporaryDirectory() as folder:
        out_path, err_path = os.path.join(folder, "out"), os.path.join(folder, "err")
        with open(out_path, "w") as out, open(err_path, "w") as err:  # the child's own file offsets
            proc = subprocess.Popen([sys.executable, "-m", "maddpg_tf2.cli", *map(str, args)],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        killed, deadline = None, time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if killed is None and "steps: " in _read(out_path):
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
        proc.wait()
        return proc.returncode, _read(out_path), _read(err_path), killed


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()
