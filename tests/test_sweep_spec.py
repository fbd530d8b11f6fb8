"""Issue 21: a bad SWEEP.yaml is one line naming the problem, before anything starts (no Ray, no trial)."""
import subprocess
import sys

import pytest

from maddpg_tf2.sweep import spec

GOOD = """\
base: {scenario: simple, max-episode-len: 5, batch-size: 32, buffer-size: 2000, num-episodes: 20}
grid: {lr: [0.01, 0.001], num-units: [16, 32]}
seeds: [0, 1]
metric: final_reward
"""

BAD = {
    "unknown top key": ("grid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\nsedes: [1]\n", "unknown key 'sedes'"),
    "unknown base key": ("base: {batch-sise: 32}\ngrid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\n",
                         "unknown key 'batch-sise'"),
    "wrong type in base": ("base: {batch-size: many}\ngrid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\n",
                           "'batch-size' must be a whole number"),
    "wrong type in grid": ("grid: {num-units: [16, 3.5]}\nseeds: [0]\nmetric: final_reward\n",
                           "'num-units' must be a whole number"),
    "bad choice in grid": ("grid: {good-policy: [maddpg, dqn]}\nseeds: [0]\nmetric: final_reward\n",
                           "must be one of maddpg, ddpg"),
    "empty grid": ("grid: {}\nseeds: [0]\nmetric: final_reward\n", "grid must be a non-empty mapping"),
    "empty grid list": ("grid: {lr: []}\nseeds: [0]\nmetric: final_reward\n", "'lr' must be a non-empty list"),
    "grid not lists": ("grid: {lr: 0.01}\nseeds: [0]\nmetric: final_reward\n", "'lr' must be a non-empty list"),
    "no grid": ("seeds: [0]\nmetric: final_reward\n", "'grid:' is missing"),
    "empty seeds": ("grid: {lr: [0.01]}\nseeds: []\nmetric: final_reward\n", "seeds must be a non-empty list"),
    "negative seed": ("grid: {lr: [0.01]}\nseeds: [0, -1]\nmetric: final_reward\n", "every seed must be a whole"),
    "text seed": ("grid: {lr: [0.01]}\nseeds: [zero]\nmetric: final_reward\n", "every seed must be a whole"),
    "repeated seed": ("grid: {lr: [0.01]}\nseeds: [1, 1]\nmetric: final_reward\n", "lists a seed twice"),
    "seed in base": ("base: {seed: 3}\ngrid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\n",
                     "'seed' is set by seeds:"),
    "benchmark metric without benchmark": ("grid: {lr: [0.01]}\nseeds: [0]\nmetric: reached_target_rate\n",
                                           "there is no benchmark: section"),
    "training key in benchmark": ("grid: {lr: [0.01]}\nseeds: [0]\nbenchmark: {lr: 0.1}\nmetric: final_reward\n",
                                  "'lr' is not an evaluation setting"),
    "cross-field check": ("base: {batch-size: 1024, buffer-size: 100}\ngrid: {lr: [0.01]}\nseeds: [0]\n"
                          "metric: final_reward\n", "--buffer-size 100 is smaller than"),
    "not yaml": ("grid: [unclosed\n", "is not valid YAML"),
    "not a mapping": ("- 1\n- 2\n", "must hold a mapping"),
}


def test_a_good_file_expands_to_grid_times_seeds(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    sweep = spec.load(str(path))
    names = [t.name for t in sweep.trials]
    assert names == ["lr-0.01_num-units-16_s0", "lr-0.01_num-units-16_s1", "lr-0.01_num-units-32_s0",
                     "lr-0.01_num-units-32_s1", "lr-0.001_num-units-16_s0", "lr-0.001_num-units-16_s1",
                     "lr-0.001_num-units-32_s0", "lr-0.001_num-units-32_s1"]
    t = sweep.trials[-1]
    assert t.values["lr"] == 0.001 and t.values["num_units"] == 32 and t.values["batch_size"] == 32 and t.seed == 1


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_file_is_one_line(tmp_path, case):
    text, expected = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(spec.SweepSpecError) as e:
        spec.load(str(path))
    assert expected in str(e.value)
    assert "\n" not in str(e.value)


def test_the_command_refuses_bad_files_in_one_line_before_starting(tmp_path):
    # Through the console script's code, for several bad files: exit 2, one stderr line, no output folder.
    for i, case in enumerate(("unknown base key", "empty grid", "negative seed", "wrong type in grid")):
        path = tmp_path / f"bad{i}.yaml"
        path.write_text(BAD[case][0])
        out = tmp_path / f"out{i}"
        r = subprocess.run([sys.executable, "-m", "maddpg_tf2.sweep.command", str(path), "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("maddpg-sweep: error: ") and BAD[case][1] in lines[0], r.stderr
        assert not out.exists()
    r = subprocess.run([sys.executable, "-m", "maddpg_tf2.sweep.command", str(tmp_path / "missing.yaml")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot read sweep file" in r.stderr


def test_the_paper_sweeps_are_valid_and_match_paper_table_rows():
    import glob
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = sorted(glob.glob(os.path.join(root, "configs", "paper", "sweeps", "*.yaml")))
    assert len(files) == 8
    for path in files:
        sweep = spec.load(path)
        assert sweep.benchmark == {"benchmark_iters": 25000, "num_envs": 40}
        assert all(t.values["num_episodes"] == 25000 for t in sweep.trials)
    crypto = spec.load(os.path.join(root, "configs", "paper", "sweeps", "simple_crypto.yaml"))
    assert len(crypto.trials) == 40 and crypto.metric == "bob_minus_eve_success"
    assert {(t.values["good_policy"], t.values["adv_policy"]) for t in crypto.trials} == {
        ("maddpg", "maddpg"), ("maddpg", "ddpg"), ("ddpg", "maddpg"), ("ddpg", "ddpg")}


def test_the_family_sweeps_are_valid_at_the_papers_budget():
    """benchmarks/FAMILY.md's sweeps: 5 seeds, 25,000 episodes, every rule; spread logs the overestimation."""
    import glob
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = {os.path.basename(p): spec.load(p) for p in glob.glob(os.path.join(root, "benchmarks", "family", "*.yaml"))}
    assert set(files) == {"spread.yaml", "speaker_listener.yaml", "adversary.yaml", "tag.yaml", "adversary_eps.yaml"}
    for name, sweep in files.items():
        assert sweep.seeds == [0, 1, 2, 3, 4] and sweep.benchmark == {"benchmark_iters": 25000, "num_envs": 40}
        assert all(t.values["num_episodes"] == 25000 for t in sweep.trials)
        if name != "adversary_eps.yaml":
            assert sorted(next(iter(sweep.grid.values()))) == ["ddpg", "maddpg", "matd3", "mmmaddpg"]
    assert all(t.values["real_q_log"] for t in files["spread.yaml"].trials)


def test_a_scenario_file_path_is_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text("# a scenario file\n")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text("base: {scenario: mine.py}\ngrid: {lr: [0.01]}\nseeds: [0]\nmetric: final_reward\n")
    assert spec.load(str(path)).trials[0].values["scenario"] == str(tmp_path / "mine.py")


def test_an_unreachable_cluster_is_one_line_before_anything_is_written(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "maddpg_tf2.sweep.command", str(path), "--out", str(out),
                        "--ray-address", "127.0.0.1:1"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nothing answers at 127.0.0.1:1" in r.stderr
    assert not out.exists()
