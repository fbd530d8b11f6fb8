"""benchmarks/paper_table.py builds the commands it promises (no training here: --dry-run)."""
import importlib.util
import os
import shlex

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def pt():
    spec = importlib.util.spec_from_file_location("paper_table", os.path.join(ROOT, "benchmarks", "paper_table.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _commands(pt, capsys, *argv):
    assert pt.main(["--dry-run", *argv]) == 0
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("maddpg-train")]
    return [shlex.split(l)[1:] for l in lines]


def _flag(cmd, name):
    return cmd[len(cmd) - 1 - cmd[::-1].index(name) + 1]  # the last occurrence wins, as in argparse


def test_paper_budget_and_exactly_1000_eval_episodes(pt, capsys, tmp_path):
    cmds = _commands(pt, capsys, "--only", "sl_maddpg", "--seeds", "3", "--work-dir", str(tmp_path),
                     "--train-args", "--num-envs 8 --lr 1e-3")
    train, bench = cmds
    assert _flag(train, "--num-episodes") == "25000" and "--benchmark" not in train
    assert _flag(train, "--num-envs") == "8" and _flag(train, "--lr") == "1e-3"
    assert _flag(train, "--seed") == "3" and _flag(bench, "--seed") == "3"
    # 40 worlds x 25-step episodes x 25 rounds = 1,000 episodes, whatever --train-args said
    assert _flag(bench, "--num-envs") == "40" and _flag(bench, "--benchmark-iters") == "25000"
    assert 1000 % int(_flag(bench, "--num-envs")) == 0
    assert _flag(bench, "--save-dir") == _flag(train, "--save-dir")
    assert _flag(bench, "--lr") == "1e-3"  # network-shaping flags reach the benchmark too


def test_all_tasks_both_directions_and_seeds(pt, capsys, tmp_path):
    cmds = _commands(pt, capsys, "--work-dir", str(tmp_path))
    trains = [c for c in cmds if "--benchmark" not in c]
    assert len(trains) == 3 * len([r for r in pt.ROWS if not r.get("needs")])
    pairs = {(_flag(c, "--scenario"), _flag(c, "--adv-policy"), _flag(c, "--good-policy")) for c in trains}
    for scenario in ("simple_tag", "simple_adversary", "simple_crypto"):
        assert (scenario, "maddpg", "ddpg") in pairs and (scenario, "ddpg", "maddpg") in pairs
    assert {_flag(c, "--scenario") for c in trains} == {t["scenario"] for t in pt.TASKS.values()}
    # the MADDPG headline rows come first
    assert [_flag(c, "--exp-name") for c in trains[:5]] == [r + "_s0" for r in pt.FIRST]


def test_ensemble_rows_and_config_dir(pt, capsys, tmp_path):
    (tmp_path / "simple_tag.yaml").write_text("lr: 0.001\n")
    cmds = _commands(pt, capsys, "--ensemble", "--only", "pp", "--seeds", "0", "--config-dir", str(tmp_path),
                     "--work-dir", str(tmp_path))
    ens = [c for c in cmds if "--ensemble-size" in c]
    assert ens and all(_flag(c, "--ensemble-size") == "3" for c in ens)
    assert all(_flag(c, "--config") == str(tmp_path / "simple_tag.yaml") for c in cmds)
    assert not any("--ensemble-size" in c for c in _commands(pt, capsys, "--only", "pp", "--work-dir", str(tmp_path)))
    # a config that names its own scenario file (the paper's reward) replaces the built-in one
    (tmp_path / "simple_tag.yaml").write_text("scenario: my_tag.py\n")
    cmds = _commands(pt, capsys, "--only", "pp_m_vs_d", "--seeds", "0", "--config-dir", str(tmp_path),
                     "--work-dir", str(tmp_path))
    assert cmds and all("--scenario" not in c for c in cmds)
    with pytest.raises(SystemExit):
        pt.main(["--dry-run", "--only", "no_such_row"])


def test_cross_play_rows_benchmark_one_run_against_the_other(pt, capsys, tmp_path):
    """The ensemble experiment: each cross-play row evaluates the good agents of one run against the
    adversaries of another (same seed), and trains nothing itself."""
    cmds = _commands(pt, capsys, "--ensemble", "--only", "pp_ens_pred_vs_single", "pp_single_pred_vs_ens",
                     "--seeds", "1", "--work-dir", str(tmp_path))
    assert len(cmds) == 2 and all("--benchmark" in c for c in cmds)
    ens_pred, single_pred = cmds
    run = lambda row: str(tmp_path / "default" / f"{row}_s1" / "policy") + "/"
    assert _flag(ens_pred, "--save-dir") == run("pp_m_vs_d") and _flag(ens_pred, "--adversaries-from") == run("pp_ens3")
    assert "--ensemble-size" not in ens_pred  # the prey's run has single policies; the predators' K is read from DIR
    assert _flag(single_pred, "--save-dir") == run("pp_ens3") and _flag(single_pred, "--ensemble-size") == "3"
    assert _flag(single_pred, "--adversaries-from") == run("pp_m_vs_d")
    assert _flag(single_pred, "--exp-name") == "pp_single_pred_vs_ens_s1"
