"""Issue 15: every user error is one line on stderr with a non-zero exit, through a real process.

These all fail before TensorFlow is imported, so each process takes about a second.
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "experiments" / "train.py"
TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10"]


def run(*args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, str(TRAIN), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def one_line(r, *needles, code=2):
    """The process failed with `code` and exactly one stderr line holding every needle."""
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == code, r.stderr
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: error: "), r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def outputs(tmp):
    return ["--save-dir", tmp / "save", "--plots-dir", tmp / "plots", "--exp-name", "e"]


FLAGS = {
    "seed_negative": (["--seed", -1], ["--seed must be a whole number in 0..4294967295", "got -1"]),
    "seed_huge": (["--seed", 2**40], ["--seed must be a whole number in 0..4294967295", str(2**40)]),
    "seed_not_int": (["--seed", "x"], ["argument --seed: must be a whole number in 0..4294967295", "--help"]),
    "lr_inf": (["--lr", "inf"], ["--lr must be a number in (0, 1]", "got inf"]),
    "critic_lr_nan": (["--critic-lr", "nan"], ["--critic-lr must be a number in (0, 1]", "got nan"]),
    "gamma_nan": (["--gamma", "nan"], ["--gamma"]),
    "regulariser_negative": (["--policy-regulariser", "-1"], ["--policy-regulariser must be a number in [0, 100]"]),
    "units_huge": (["--num-units", 10**6], ["--num-units must be a whole number in 1..16384", "got 1000000"]),
    "episodes_overflow": (["--num-episodes", 2**70], ["--num-episodes must be a whole number in 1..9223372036854775807"]),
    "buffer_too_small": (["--buffer-size", 100], ["--buffer-size 100 is smaller than the 160 transitions",
                                                  "--batch-size x --max-episode-len"]),
    "num_envs_huge": (["--num-envs", 1000], ["--num-envs 1000 is too large", "pass --num-envs 400 or fewer"]),
    "unknown_flag": (["--no-such-flag"], ["unrecognized arguments: --no-such-flag"]),
    "threads_huge": (["--intra-op-threads", 10**6], ["--intra-op-threads must be a whole number in 0..1024"]),
    "draws_huge": (["--grad-variance-draws", 10**6], ["--grad-variance-draws must be a whole number in 2..1024"]),
}


@pytest.mark.parametrize("case", sorted(FLAGS))
def test_bad_flag_is_one_line(case, tmp_path):
    flags, needles = FLAGS[case]
    one_line(run("--num-episodes", 20, *TINY, *outputs(tmp_path), *flags, cwd=tmp_path), *needles)
    assert not (tmp_path / "save").exists()


YAML = {
    "bool_for_int": ("batch-size: true", ["'batch-size' must be a whole number", "True"]),
    "float_for_int": ("num-episodes: 1.7", ["'num-episodes' must be a whole number", "1.7"]),
    "string_for_switch": ('quiet: "no"', ["'quiet' is a switch and takes true or false", "'no'"]),
    "int_for_switch": ("save-replay: 1", ["'save-replay' is a switch"]),
    "text_for_float": ("lr: fast", ["'lr' must be a number in (0, 1]", "'fast'"]),
    "list_for_str": ("scenario: [simple]", ["'scenario' must be a string"]),
    "null_for_required": ("batch-size:", ["'batch-size' needs a value"]),
    "range_after_merge": ("seed: -5", ["--seed must be a whole number in 0..4294967295"]),
    "choice": ("good-policy: maddpgg", ["'good-policy' must be one of maddpg, ddpg"]),
}


@pytest.mark.parametrize("case", sorted(YAML))
def test_bad_yaml_value_is_one_line(case, tmp_path):
    text, needles = YAML[case]
    (tmp_path / "c.yaml").write_text(text + "\n")
    one_line(run("--config", tmp_path / "c.yaml", *outputs(tmp_path), cwd=tmp_path), *needles)


def test_yaml_values_get_the_flags_types():
    from maddpg_tf2.cli import parse_config

    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("lr: 1e-3\nseed: null\nbatch_size: '64'\nquiet: true\ngamma: 1\n")  # YAML keeps 1e-3 a string
    try:
        c = parse_config(["--config", f.name])
    finally:
        os.remove(f.name)
    assert (c.lr, c.seed, c.batch_size, c.quiet, c.gamma) == (1e-3, None, 64, True, 1.0)
    assert type(c.gamma) is float and type(c.batch_size) is int


SCENARIO = """
import numpy as np
from multiagent.core import World, Agent
from multiagent.scenario import BaseScenario


class Scenario(BaseScenario):
    def make_world(self):
        world = World()
        world.agents = [Agent()]
        world.landmarks = []
        {make}
        self.reset_world(world)
        return world

    def reset_world(self, world):
        for a in world.agents:
            a.state.p_pos = np.zeros(2)
            a.state.p_vel = np.zeros(2)
            a.state.c = np.zeros(world.dim_c)
        {reset}

    def reward(self, agent, world):
        return 0.0

    def observation(self, agent, world):
        return agent.state.p_pos
"""


@pytest.mark.parametrize("make, reset, function, error", [
    ("raise RuntimeError('no walls configured')", "pass", "Scenario.make_world", "RuntimeError at line {}: no walls configured"),
    ("pass", "return 1 / 0", "Scenario.make_world", "ZeroDivisionError at line {}: division by zero"),
    ("pass", "world.nope.x = 1", "Scenario.make_world", "AttributeError at line {}"),
])
def test_user_scenario_error_names_file_function_and_line(make, reset, function, error, tmp_path):
    path = tmp_path / "my_scenario.py"
    text = textwrap.dedent(SCENARIO).format(make=make, reset=reset)
    path.write_text(text)
    bad = make if make != "pass" else reset
    error = error.format(next(i + 1 for i, l in enumerate(text.splitlines()) if l.strip() == bad))
    r = run("--scenario", path, "--num-episodes", 3, *TINY, *outputs(tmp_path), cwd=tmp_path)
    line = one_line(r, f"scenario file {path}: {function} raised {error}", "--debug")
    assert "Traceback" not in r.stderr
    r = run("--scenario", path, "--num-episodes", 3, "--debug", *TINY, *outputs(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" in r.stderr and str(path) in r.stderr
    assert r.stderr.strip().splitlines()[-1] == line  # the one line still closes the output


def test_benchmark_of_a_scenario_without_benchmark_data_is_one_line(tmp_path):
    path = tmp_path / "plain.py"
    path.write_text(textwrap.dedent(SCENARIO).format(make="pass", reset="pass"))
    (tmp_path / "save").mkdir()
    (tmp_path / "save" / "meta.json").write_text("{}")  # something to load, so the scenario is what fails
    one_line(run("--scenario", path, "--benchmark", *outputs(tmp_path), cwd=tmp_path),
             "defines no Scenario.benchmark_data")


def test_scenario_returning_a_new_shape_mid_episode_is_reported_against_the_file(tmp_path):
    from maddpg_tf2.envs.make import ScenarioCodeError, make_env

    path = tmp_path / "shifty.py"
    path.write_text(textwrap.dedent(SCENARIO).format(make="world.agents[0].silent = True", reset="pass").replace(
        "return agent.state.p_pos", "return np.zeros(3) if self.stepped else agent.state.p_pos").replace(
        "return 0.0", "self.stepped = True\n        return 0.0").replace(
        "world = World()", "world = World()\n        self.stepped = False"))
    env = make_env(str(path), num_envs=2)
    env.reset()
    with pytest.raises(ScenarioCodeError, match=r"shifty.py: stepping the environment .* raised ValueError"):
        for _ in range(2):  # the observation grows from the step after the first reward
            env.step([np.full((2, 5), 0.2)])
