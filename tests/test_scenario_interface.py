"""A user's scenario file is checked when it is loaded, and a step's non-finite values are all named
(issue 27, item 5): one line each, naming what is missing or what became non-finite."""
import itertools
import textwrap

import numpy as np
import pytest

from maddpg_tf2.envs.make import SCENARIO_METHODS, ScenarioCodeError, make_env
from maddpg_tf2.safety import NonFiniteError, check_step

METHODS = {
    "make_world": """
    def make_world(self):
        world = World()
        world.agents = [Agent()]
        world.landmarks = []
        self.reset_world(world)
        return world
""",
    "reset_world": """
    def reset_world(self, world):
        for a in world.agents:
            a.state.p_pos = np.zeros(2)
            a.state.p_vel = np.zeros(2)
            a.state.c = np.zeros(world.dim_c)
""",
    "reward": """
    def reward(self, agent, world):
        return 0.0
""",
    "observation": """
    def observation(self, agent, world):
        return agent.state.p_pos
""",
    "benchmark_data": """
    def benchmark_data(self, agent, world):
        return 0
""",
}


def scenario_file(tmp_path, methods, base=""):
    text = "import numpy as np\nfrom multiagent.core import World, Agent\nfrom multiagent.scenario import BaseScenario\n\n\n"
    text += f"class Scenario({base}):\n" + ("".join(textwrap.indent(textwrap.dedent(METHODS[m]), "    ")
                                                   for m in methods) or "    pass\n")
    path = tmp_path / "user_scenario.py"
    path.write_text(text)
    return str(path)


CASES = [[m] for m in SCENARIO_METHODS] + [["make_world", "reset_world"], ["reward", "observation"],
                                           list(SCENARIO_METHODS)]


@pytest.mark.parametrize("base", ["", "BaseScenario"])
@pytest.mark.parametrize("missing", CASES, ids=["+".join(c) for c in CASES])
def test_a_scenario_class_lacking_methods_is_named_in_one_line(tmp_path, missing, base):
    import make_env as original_helper  # the original MPE's make_env, as tutorials call it

    path = scenario_file(tmp_path, [m for m in SCENARIO_METHODS if m not in missing], base)
    for build in (lambda: make_env(path, num_envs=1), lambda: original_helper.make_env(path)):
        with pytest.raises(ScenarioCodeError) as e:
            build()
        msg = str(e.value)
        assert "\n" not in msg and path in msg, msg
        named = msg.split(" has no ")[1].split(";")[0]
        assert sorted(n.strip() for n in named.replace(" and ", ", ").split(",")) == sorted(missing), msg
        assert "reset_world(world)" in msg and "BaseScenario" in msg  # says what a scenario defines


def test_benchmark_data_is_checked_with_the_rest(tmp_path):
    path = scenario_file(tmp_path, ["make_world", "reset_world", "reward", "observation"])
    make_env(path, num_envs=1)  # complete for training
    with pytest.raises(ScenarioCodeError, match="defines no Scenario.benchmark_data, which --benchmark needs"):
        make_env(path, num_envs=1, benchmark=True)
    path = scenario_file(tmp_path, ["reset_world", "reward", "observation"])
    with pytest.raises(ScenarioCodeError, match=r"has no make_world and benchmark_data;"):
        make_env(path, num_envs=1, benchmark=True)


def test_the_cli_reports_a_class_without_make_world_in_one_line(tmp_path, capsys):
    from maddpg_tf2.cli import main

    path = scenario_file(tmp_path, ["reset_world", "reward", "observation"])
    rc = main(["--scenario", path, "--num-episodes", "1", "--save-dir", str(tmp_path / "s"),
               "--plots-dir", str(tmp_path / "p"), "--quiet"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith("maddpg-train: error: scenario file ") and "has no make_world;" in err[0]


def _values(kinds, bad):
    """A step's arrays for 2 worlds and 2 agents with a non-finite value where each of `kinds` says."""
    obs_n, next_obs_n, rew = [np.ones((2, 3)), np.ones((2, 4))], [np.ones((2, 3)), np.ones((2, 4))], np.zeros((2, 2))
    if "reward" in kinds:
        rew[1, 1] = bad
    if "observation" in kinds:
        next_obs_n[0][1, 2] = bad
    if "reset observation" in kinds:
        obs_n[1][0, 0] = bad
    return obs_n, next_obs_n, rew


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1e39])
def test_every_non_finite_quantity_of_a_step_is_named(bad):
    """A NaN observation that makes the reward NaN too: both named (and each other combination)."""
    expected = {"reward": "reward of agent 1", "observation": "observation of agent 0 (entry 2)",
                "reset observation": "observation of agent 1 (entry 0)"}
    check_step(*_values([], bad), 7)  # all finite: no error
    for n in range(1, len(expected) + 1):
        for chosen in itertools.combinations(expected, n):
            with pytest.raises(NonFiniteError) as e:
                check_step(*_values(chosen, bad), 7)
            msg = str(e.value)
            for kind, text in expected.items():
                assert (text in msg) == (kind in chosen), (chosen, msg)
            parts = sorted({k.split()[-1] for k in chosen}, key=["reward", "observation"].index)
            assert msg.endswith("fix the scenario's " + " and ".join(parts)), msg
            assert "at step 7" in msg and "\n" not in msg
