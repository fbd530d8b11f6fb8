"""Two trained teams against each other: --adversaries-from DIR (maddpg_tf2/teams.py)."""
import numpy as np
import pytest

from maddpg_tf2.distributions import SoftCategorical
from maddpg_tf2.policy import Policy
from maddpg_tf2.teams import TeamPolicy

TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10",
        "--num-envs", "4", "--quiet"]
TASK = ["--scenario", "simple_adversary", "--num-adversaries", "1"]


def _fixed(action: int, n: int = 3, k: int = 5) -> Policy:
    """Every agent puts its logit mass on `action` (zero kernels, bias 30 there)."""
    w = [np.zeros((4, 8)), np.zeros(8), np.zeros((8, 8)), np.zeros(8), np.zeros((8, k)), 30.0 * np.eye(k)[action]]
    return Policy([SoftCategorical(k)] * n, [w] * n)


def test_adversaries_act_with_the_second_policy_good_agents_with_the_first():
    team = TeamPolicy(_fixed(1), _fixed(3), adversary_n=[True, False, False])
    obs_n = [np.zeros((2, 4), np.float32)] * 3
    acts = team.act(obs_n, np.random.default_rng(0), deterministic=True)
    assert [int(a[0].argmax()) for a in acts] == [3, 1, 1]
    assert [int(l[1].argmax()) for l in team.logits(obs_n)] == [3, 1, 1]


@pytest.fixture(scope="module")
def teams(tmp_path_factory):
    """Two tiny runs of physical deception, at once: single policies (seed 1) and an ensemble of 2 (seed 2)."""
    import pathlib
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    tmp = tmp_path_factory.mktemp("teams")
    train = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "train.py"

    def train_one(name, extra):
        return subprocess.run([sys.executable, str(train), *TASK, "--num-episodes", "60", *extra, *TINY,
                               "--save-dir", str(tmp / name), "--plots-dir", str(tmp / "p"), "--exp-name", name],
                              capture_output=True, text=True, timeout=300)

    with ThreadPoolExecutor(2) as pool:  # side by side: most of each run is TensorFlow's import, on one core
        runs = list(pool.map(train_one, ("single", "ens"),
                             (["--seed", "1"], ["--seed", "2", "--ensemble-size", "2"])))
    for r in runs:
        assert r.returncode == 0, r.stderr
    return tmp


def test_benchmark_pits_two_checkpoints_and_each_team_acts_with_its_own(teams, tmp_path, monkeypatch, capsys):
    from maddpg_tf2 import checkpoint, cli, playback
    from maddpg_tf2.envs.make import make_env_for
    from maddpg_tf2.agents import build_agents

    monkeypatch.chdir(tmp_path)
    args = [*TASK, "--benchmark", "--benchmark-iters", 50, "--load-dir", teams / "single",
            "--adversaries-from", teams / "ens", "--ensemble-member", 0, *TINY, "--benchmark-dir", tmp_path / "b",
            "--exp-name", "cross"]
    args = [str(a) for a in args]
    assert cli.main(args) == 0, capsys.readouterr().err
    assert (tmp_path / "b" / "cross_summary.json").is_file()

    config = cli.parse_config(args)
    env = make_env_for(config, num_envs=2, seed=0)
    team = playback._load_policy(config, env)
    obs_n = [np.random.default_rng(0).normal(size=(2, s.shape[0])).astype(np.float32) for s in env.observation_space_n]
    team.new_episodes(np.ones(2, bool), np.random.default_rng(0))
    got = team.logits(obs_n)
    # the references, each checkpoint loaded on its own
    import dataclasses
    refs = {}
    for name, size in (("single", 1), ("ens", 2)):
        own = dataclasses.replace(config, ensemble_size=size, adversaries_from=None,
                                  ensemble_member=0 if size > 1 else None)
        learner, policy = build_agents(own, env)
        checkpoint.restore(str(teams / name), learner, scenario=config.scenario)
        policy.refresh(learner)
        policy.new_episodes(np.ones(2, bool), np.random.default_rng(0))
        refs[name] = policy.logits(obs_n)
    np.testing.assert_array_equal(got[0], refs["ens"][0])  # the adversary: the ensemble run's member 0
    assert not np.array_equal(got[0], refs["single"][0])
    for i in (1, 2):  # the good agents: the single-policy run's
        np.testing.assert_array_equal(got[i], refs["single"][i])
        assert not np.array_equal(got[i], refs["ens"][i])


@pytest.mark.parametrize("extra, message", [
    ([], "--adversaries-from sets who plays the adversaries in --display or --benchmark"),
    (["--benchmark"], "--adversaries-from found no checkpoint in"),
])
def test_adversaries_from_errors_are_one_line(teams, extra, message, tmp_path, monkeypatch, capsys):
    from maddpg_tf2 import cli

    monkeypatch.chdir(tmp_path)
    rc = cli.main([*TASK, "--adversaries-from", str(tmp_path / "nothing"), *extra, "--load-dir",
                   str(teams / "single")])
    err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert rc == 2 and len(err) == 1 and message in err[0], err


def test_adversaries_from_a_checkpoint_of_another_scenario_is_refused(teams, tmp_path, monkeypatch, capsys):
    from maddpg_tf2 import cli

    monkeypatch.chdir(tmp_path)
    rc = cli.main(["--scenario", "simple_tag", "--num-adversaries", "3", "--benchmark", "--adversaries-from",
                   str(teams / "ens"), "--load-dir", str(teams / "single"), *TINY])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and "scenario" in err, err
