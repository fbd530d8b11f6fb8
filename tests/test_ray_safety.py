"""Issue 18, Ray's part: every Ray the project starts listens on loopback only, whichever mode starts it
and however `ray` got imported first; stdout keeps the original's lines in every Ray mode; a user's
scenario that raises inside an explorer gives the in-process run's one line.

Each mode is a real run through a subprocess whose environment does NOT carry the loopback variable
(as a user's shell would not): the command line with explorers (the scenario-error run: Ray starts
before the scenario fails), coded learners, a one-trial `maddpg-sweep`, and the Python API with
central inference after the user imported `ray` first. While they run, the operating system's table
of listening sockets is read for every process of each run's tree: the driver, GCS, raylet and every
worker.
"""
import ast
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import time

import pytest

psutil = pytest.importorskip("psutil")
pytest.importorskip("ray")

from maddpg_tf2.distributed.runtime import LOOPBACK_VARIABLE, is_loopback  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10",
        "--num-envs", "4", "--num-episodes", "30", "--seed", "1", "--quiet"]
# What the project itself may write on stderr: its one-line reports. Nothing of Ray's or TensorFlow's.
OWN_LINE = re.compile(r"^maddpg-train: (note|error): ")
CRASH = re.compile(r"Aborted|Stack trace|\*\*\* SIG|^[FE]\d{4} |Traceback|core dumped", re.M)

BAD_SCENARIO = '''\
import numpy as np
from multiagent.core import World, Agent
from multiagent.scenario import BaseScenario


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.agents = [Agent()]
        world.agents[0].name = 'agent 0'
        world.agents[0].silent = True
        world.landmarks = []
        world.calls = 0
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for agent in world.agents:
            agent.state.p_pos = np.zeros(world.dim_p)
            agent.state.p_vel = np.zeros(world.dim_p)
            agent.state.c = np.zeros(world.dim_c)

    def reward(self, agent, world):
        world.calls += 1  # fine while preflight builds it; raises once the explorer has stepped a while
        if world.calls > 12:
            return {}["bonus"]
        return 0.0

    def observation(self, agent, world):
        return np.concatenate([agent.state.p_vel, agent.state.p_pos])
'''

API_RAY_FIRST = '''\
import sys
import ray  # the user's own import, before the package: Ray has read its environment already
from maddpg_tf2.config import Config
from maddpg_tf2.loop import run
sys.exit(run(Config(scenario="simple", max_episode_len=5, batch_size=32, buffer_size=2000, save_rate=10,
                    num_envs=4, num_episodes=30, seed=1, quiet=True, explorers=2, inference="central",
                    exp_name="api",
                    save_dir="save", plots_dir="plots")))
'''


def _cli(*args):
    return [sys.executable, "-m", "maddpg_tf2.cli", *TINY, "--save-dir", "save", "--plots-dir", "plots",
            *[str(a) for a in args]]


CASES = {  # name: (command, starts a Ray); the modes share runs: a Ray start costs seconds
    "plain": (_cli(), False),
    "coded": (_cli("--scenario", "simple_speaker_listener", "--coded-scheme", "mds", "--learners", 2,
                   "--num-units", 8, "--batch-size", 16), True),
    "api_central_ray_imported_first": ([sys.executable, "-c", API_RAY_FIRST], True),
    "scenario_error_plain": (_cli("--scenario", "bad_scenario.py"), False),
    "scenario_error_explorer": (_cli("--scenario", "bad_scenario.py", "--explorers", 1), True),
    "sweep": ([sys.executable, "-m", "maddpg_tf2.sweep.command", "sweep.yaml", "--out", "sweep",
               "--cpus-per-trial", "1"], True),
}

SWEEP = """\
base: {max-episode-len: 5, batch-size: 32, buffer-size: 2000, save-rate: 10, num-envs: 4, num-episodes: 30}
grid: {lr: [0.01]}
seeds: [1]
metric: final_reward
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every case; (returncode, stdout, stderr, listening addresses seen) per case. One Ray run at a
    time (Ray gives a node 30 s to start, which two cores shared by several Ray start-ups can miss),
    beside one run without Ray."""
    env = {k: v for k, v in os.environ.items() if k != LOOPBACK_VARIABLE}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "compat"), env.get("PYTHONPATH", "")])
    # A Ray the project starts is its own: not whatever RAY_ADDRESS (or a running Ray) names.
    env["RAY_ADDRESS"] = "127.0.0.1:9"
    waiting = {True: [n for n, (_, r) in CASES.items() if r], False: [n for n, (_, r) in CASES.items() if not r]}
    running, results = {}, {}
    seen = {name: set() for name in CASES}
    deadline = time.monotonic() + 900
    while (running or waiting[True] or waiting[False]) and time.monotonic() < deadline:
        for ray in (True, False):
            if waiting[ray] and not any(CASES[n][1] == ray for n in running):
                name = waiting[ray].pop(0)
                folder = tmp_path_factory.mktemp(name)
                (folder / "bad_scenario.py").write_text(BAD_SCENARIO)
                (folder / "sweep.yaml").write_text(SWEEP)
                out, err = open(folder / "out", "w+"), open(folder / "err", "w+")
                running[name] = (subprocess.Popen(CASES[name][0], cwd=folder, env=env, stdout=out, stderr=err),
                                 out, err)
        owner = {}
        for name, (p, _, _) in running.items():
            try:
                root = psutil.Process(p.pid)
                for q in [root] + root.children(recursive=True):
                    owner[q.pid] = name
            except psutil.Error:
                pass
        for c in psutil.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN and c.pid in owner:
                seen[owner[c.pid]].add((c.laddr.ip, c.laddr.port))
        for name, (p, out, err) in list(running.items()):
            if p.poll() is not None:
                out.seek(0)
                err.seek(0)
                results[name] = (p.returncode, out.read(), err.read(), seen[name])
                out.close()
                err.close()
                del running[name]
        time.sleep(0.2)
    for name, (p, out, err) in running.items():  # past the deadline: what they wrote so far
        p.kill()
        p.wait()
        out.seek(0)
        err.seek(0)
        results[name] = (p.returncode, out.read(), err.read() + "\n(killed: the runs took too long)", seen[name])
    return results


def _shape(stdout: str):
    """The lines with their numbers masked: what a run of the same settings must print."""
    return [re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", line) for line in stdout.splitlines()]


@pytest.mark.parametrize("name", [n for n, (_, ray) in CASES.items() if ray])
def test_a_ray_the_project_starts_listens_on_loopback_only(runs, name):
    rc, out, err, listening = runs[name]
    assert len(listening) >= 3, (name, listening, err[-2000:])  # GCS, raylet, workers: the watch saw them
    outside = sorted(a for a in listening if not is_loopback(a[0]))
    assert outside == [], f"{name} listens on {outside}"


@pytest.mark.parametrize("name", ["coded", "api_central_ray_imported_first"])
def test_stdout_keeps_the_original_lines_and_stderr_only_the_projects(runs, name):
    rc, out, err, _ = runs[name]
    rc0, out0, _, _ = runs["plain"]
    assert rc0 == 0 and rc == 0, err[-3000:]
    assert _shape(out) == _shape(out0), out
    assert [l for l in err.splitlines() if l.strip() and not OWN_LINE.match(l)] == [], err[-3000:]
    assert not CRASH.search(err), err[-3000:]


def test_a_scenario_raising_inside_an_explorer_is_the_in_process_one_line(runs):
    rc0, _, err0, _ = runs["scenario_error_plain"]
    rc, _, err, _ = runs["scenario_error_explorer"]
    error0 = [l for l in err0.splitlines() if l.startswith("maddpg-train: error:")]
    error = [l for l in err.splitlines() if l.startswith("maddpg-train: error:")]
    line = BAD_SCENARIO.splitlines().index('            return {}["bonus"]') + 1
    assert len(error0) == 1 and f"bad_scenario.py: Scenario.reward raised KeyError at line {line}: 'bonus'" in error0[0]
    assert error == error0, err[-3000:]
    assert rc == rc0 != 0
    assert "maddpg_scenario_" not in err and not CRASH.search(err), err[-3000:]
    assert [l for l in err.splitlines() if l.strip() and not OWN_LINE.match(l)] == [], err[-3000:]


def test_a_sweep_says_only_its_own_lines(runs):
    rc, out, err, _ = runs["sweep"]
    assert rc == 0, err[-3000:]
    assert [l for l in (out + err).splitlines() if l.strip() and not l.startswith("maddpg-sweep: ")] == [], \
        (out + err)[-3000:]
    assert not CRASH.search(err), err[-3000:]


def test_loopback_addresses():
    assert all(is_loopback(a) for a in ("127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1", "localhost"))
    assert not any(is_loopback(a) for a in ("0.0.0.0", "::", "192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1", ""))


def test_every_ray_import_goes_through_the_runtime():
    """Ray reads the loopback variable once, at its import: any import of ray elsewhere in the project
    (including `from ray.x import y` and importlib) could come first and open the ports to the network."""
    runtime = ROOT / "maddpg_tf2" / "distributed" / "runtime.py"
    stray = []
    for folder in ("maddpg_tf2", "compat", "experiments", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == runtime:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] if node.level == 0 else []
                elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                        and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
                    names = [str(node.args[0].value)]
                else:
                    continue
                if any(n == "ray" or n.startswith("ray.") for n in names):
                    stray.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert stray == [], "import ray through maddpg_tf2.distributed.runtime.require_ray: " + ", ".join(stray)


def test_the_project_imports_ray_only_after_setting_the_variable():
    """The import that the project's runtime makes sets the variable first (in a fresh interpreter)."""
    code = textwrap.dedent(f"""
        import os, sys
        from maddpg_tf2.distributed.runtime import require_ray
        require_ray()
        import ray._private.ray_constants as c
        print(os.environ.get({LOOPBACK_VARIABLE!r}), c.ENABLE_RAY_CLUSTER)
    """)
    env = {k: v for k, v in os.environ.items() if k != LOOPBACK_VARIABLE}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["0", "False"], out.stderr[-2000:]
