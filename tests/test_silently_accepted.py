"""Input that used to be accepted silently is one line now (issue 27, item 6): a key given twice in a
YAML file, a sweep's metric no trial reports, --max-concurrent 0. (Upper bounds of every number:
tests/test_ranges.py; --restore with nothing left to train: tests/test_final_save.py.)"""
import pytest

from maddpg_tf2 import benchmark_metrics
from maddpg_tf2.sweep import command, spec

SWEEP = "base: {{scenario: {scenario}, num-episodes: 10}}\ngrid: {{lr: [0.01]}}\nseeds: [0]\n" \
        "benchmark: {{benchmark-iters: 100}}\nmetric: {metric}\n"


def one_line(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize("text, key, line", [
    ("lr: 0.01\nbatch-size: 8\nlr: 0.02\n", "lr", 3),
    ("scenario: simple\nenv-kwargs: {a: 1, a: 2}\n", "a", 2),  # nested mappings too
    ("quiet: true\nquiet: false\n", "quiet", 2),
])
def test_a_key_given_twice_in_a_config_file_is_one_line(text, key, line, tmp_path, capsys, monkeypatch):
    from maddpg_tf2.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(text)
    assert main(["--config", str(tmp_path / "c.yaml")]) == 2
    lines = one_line(capsys)
    assert len(lines) == 1 and "c.yaml" in lines[0] and f"key '{key}' is given twice" in lines[0], lines
    assert f"and {line}" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]  # nothing started


@pytest.mark.parametrize("text", [
    "grid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\nseeds: [1]\n",
    "base: {lr: 0.01, lr: 0.02}\ngrid: {batch-size: [8]}\nseeds: [0]\nmetric: final_reward\n",
    "grid: {lr: [0.01], lr: [0.02]}\nseeds: [0]\nmetric: final_reward\n",
])
def test_a_key_given_twice_in_a_sweep_file_is_one_line(text, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(spec.SweepSpecError) as e:
        spec.load(str(path))
    assert "is given twice" in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_yaml_anchors_and_merge_keys_still_load(tmp_path):
    from maddpg_tf2.fileio import load_yaml

    assert load_yaml("d: &d {a: 1, b: 2}\ne: {<<: *d, b: 3}\n") == {"d": {"a": 1, "b": 2}, "e": {"a": 1, "b": 3}}


@pytest.mark.parametrize("scenario, good, bad", [
    ("simple_speaker_listener", "reached_target_rate", "reached_target_rat"),
    ("simple_tag", "touches_per_episode", "touches"),
    ("simple_spread", "episodes", "final_distance"),
    ("gymnasium:Pendulum-v1", "return", "retrun"),
    ("my_scenario.py", "value0_final", "value_final"),
])
def test_a_metric_no_trial_reports_is_refused_before_any_trial(scenario, good, bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if scenario.endswith(".py"):
        (tmp_path / scenario).write_text(
            "import numpy as np\nfrom multiagent.core import World, Agent\nfrom multiagent.scenario import BaseScenario\n"
            "class Scenario(BaseScenario):\n"
            "    def make_world(self):\n        w = World(); w.agents = [Agent()]; w.landmarks = []\n"
            "        self.reset_world(w); return w\n"
            "    def reset_world(self, world):\n        for a in world.agents:\n"
            "            a.state.p_pos = np.zeros(2); a.state.p_vel = np.zeros(2); a.state.c = np.zeros(world.dim_c)\n"
            "    def reward(self, agent, world): return 0.0\n"
            "    def observation(self, agent, world): return agent.state.p_pos\n"
            "    def benchmark_data(self, agent, world): return (1.0, 2.0)\n")
    path = tmp_path / "s.yaml"
    path.write_text(SWEEP.format(scenario=scenario, metric=good))
    assert spec.load(str(path)).metric == good
    path.write_text(SWEEP.format(scenario=scenario, metric=bad))
    with pytest.raises(spec.SweepSpecError) as e:
        spec.load(str(path))
    msg = str(e.value)
    assert f"metric '{bad}' is not reported by the benchmark of" in msg and "final_reward" in msg, msg
    assert "\n" not in msg and msg.endswith("fix metric:")


def test_every_builtin_scenario_has_its_metric_names():
    """The names a sweep's metric: is checked against cover every scenario with benchmark functions
    (real summaries are checked against them in tests/test_cli.py's benchmark of every scenario)."""
    assert set(benchmark_metrics.METRIC_NAMES) == set(benchmark_metrics._SCENARIOS)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_max_concurrent_below_one_is_refused(value, tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SWEEP.format(scenario="simple", metric="final_reward"))
    assert command.main([str(path), "--out", str(tmp_path / "out"), "--max-concurrent", value]) == 2
    lines = one_line(capsys)
    assert len(lines) == 1 and lines[0].startswith("maddpg-sweep: error: --max-concurrent must be at least 1"), lines
    assert not (tmp_path / "out").exists()
