"""Opponents perturbed at acting time: --perturb-opponents EPS (maddpg_tf2/perturb.py)."""
import json
import types

import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2 import cli, perturb
from maddpg_tf2.config import Config
from maddpg_tf2.errors import UserError

TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "30",
        "--num-envs", "4", "--quiet", "--seed", "3"]
TASK = ["--scenario", "simple_adversary", "--num-adversaries", "1"]
OBS, ACT = [3, 2, 2], [2, 3, 2]  # agent 0 the adversary
RNG = np.random.default_rng(0)
M = [RNG.normal(size=(4, sum(OBS) + sum(ACT))) for _ in OBS]  # a smooth critic per agent:
V = [RNG.normal(size=4) for _ in OBS]                          # Q_i = V_i . tanh(M_i [x, a])


def q_np(i, obs_n, act_n):
    return np.tanh(np.concatenate([*obs_n, *act_n], axis=1) @ M[i].T) @ V[i]


class SmoothCritics:
    """A learner's `q_values` and `local_q_n` over the known critics above."""
    local_q_n = [False] * 3

    def q_values(self, obs_n, act_n):
        x = tf.concat([tf.cast(o, tf.float64) for o in obs_n] + [tf.cast(a, tf.float64) for a in act_n], axis=1)
        return [tf.cast(tf.linalg.matvec(tf.tanh(tf.matmul(x, m, transpose_b=True)), v), tf.float32)
                for m, v in zip(M, V)]


class Fixed:
    """An acting policy that returns the actions it is given."""
    dists = None

    def __init__(self, act_n):
        self.act_n = act_n

    def act(self, obs_n, rng, deterministic=False):
        return [a.copy() for a in self.act_n]


def sample(worlds=5, seed=1):
    rng = np.random.default_rng(seed)
    return ([rng.normal(size=(worlds, d)).astype(np.float32) for d in OBS],
            [rng.uniform(size=(worlds, k)).astype(np.float32) for k in ACT])


def wrapped(evaluated_n, eps, kind="worst", act_n=None):
    obs_n, acts = sample()
    return obs_n, acts, perturb.PerturbedOpponents(Fixed(act_n or acts), SmoothCritics(), evaluated_n, eps, kind, seed=0)


@pytest.mark.parametrize("evaluated_n", [[False, True, True], [True, False, False]])
def test_the_step_is_eps_times_the_normalised_negative_gradient_by_finite_differences(evaluated_n):
    obs_n, act_n, policy = wrapped(evaluated_n, 0.3)
    got = policy.act(obs_n, np.random.default_rng(0))
    o64, a64 = [o.astype(np.float64) for o in obs_n], [a.astype(np.float64) for a in act_n]

    def team_q(acts):  # [worlds]
        return sum(q_np(i, o64, acts) for i, e in enumerate(evaluated_n) if e)

    h = 1e-6
    for j, e in enumerate(evaluated_n):
        if e:  # the evaluated team acts as its policy says
            np.testing.assert_array_equal(got[j], act_n[j])
            continue
        grad = np.zeros_like(a64[j])
        for k in range(ACT[j]):
            up, down = list(a64), list(a64)
            up[j], down[j] = a64[j].copy(), a64[j].copy()
            up[j][:, k] += h
            down[j][:, k] -= h
            grad[:, k] = -(team_q(up) - team_q(down)) / (2 * h)  # of -sum Q, per world
        want = a64[j] + 0.3 * grad / np.linalg.norm(grad, axis=1, keepdims=True)
        np.testing.assert_allclose(got[j], want, atol=2e-6)


def test_a_linear_critic_by_hand():
    # Q_0 = 2 a_1[0] - a_1[1] + 5 a_0[0]: d(-Q_0)/d a_1 = (-2, 1) in every world, so the adversary
    # (agent 0, evaluated) stays and agent 1 moves by eps * (-2, 1) / sqrt(5).
    class Linear:
        local_q_n = [False, False]

        def q_values(self, obs_n, act_n):
            q0 = 2 * act_n[1][:, 0] - act_n[1][:, 1] + 5 * act_n[0][:, 0]
            return [q0, -q0]

    act_n = [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)]
    policy = perturb.PerturbedOpponents(Fixed(act_n), Linear(), [True, False], 0.5)
    got = policy.act([np.zeros((2, 1), np.float32)] * 2, np.random.default_rng(0))
    np.testing.assert_array_equal(got[0], act_n[0])
    np.testing.assert_allclose(got[1], 1 + 0.5 * np.tile([-2, 1], (2, 1)) / np.sqrt(5), atol=1e-6)


def test_the_worst_step_lowers_the_team_q_and_the_random_one_does_not_follow_it():
    evaluated_n = [False, True, True]
    team = lambda o, a: sum(q_np(i, o, a) for i in (1, 2))  # noqa: E731
    obs_n, act_n = sample(worlds=4000, seed=2)
    before = team(obs_n, act_n)
    worst = perturb.PerturbedOpponents(Fixed(act_n), SmoothCritics(), evaluated_n, 1e-2).act(obs_n, None)
    drop = team(obs_n, worst) - before
    assert (drop < 0).all()
    random = perturb.PerturbedOpponents(Fixed(act_n), SmoothCritics(), evaluated_n, 1e-2, "random", seed=0)
    moved = random.act(obs_n, None)
    np.testing.assert_array_equal(moved[1], act_n[1])
    np.testing.assert_allclose(np.linalg.norm(moved[0] - act_n[0], axis=1), 1e-2, rtol=1e-4)  # the same size
    change = team(obs_n, moved) - before
    assert abs(change.mean()) < 0.05 * abs(drop.mean())  # no direction in expectation
    assert (change > 0).mean() > 0.4


def test_eps_zero_returns_the_policys_actions_themselves():
    obs_n, act_n, policy = wrapped([False, True, True], 0.0)
    got = policy.act(obs_n, None)
    for g, a in zip(got, act_n):
        np.testing.assert_array_equal(g, a)


def test_the_command_lines_choices_are_the_modules():
    assert cli.PERTURB_TEAMS == perturb.TEAMS and cli.PERTURB_KINDS == perturb.KINDS


# ----------------------------------------------------------------------------- refusals, one line each

def one_line(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_training_with_perturbed_opponents_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main([*TASK, "--perturb-opponents", "0.5"]) == 2
    lines = one_line(capsys)
    assert len(lines) == 1 and "--perturb-opponents" in lines[0] and "--benchmark" in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_a_scenario_without_two_teams_is_refused():
    with pytest.raises(UserError) as e:
        perturb.evaluated_team(Config(scenario="simple_spread"), [False] * 3)
    assert "needs a scenario with adversaries and good agents" in str(e.value) and "\n" not in str(e.value)


def test_an_evaluated_team_of_ddpg_agents_is_refused():
    env = types.SimpleNamespace(adversary_n=[True, False, False])
    critics = SmoothCritics()
    critics.local_q_n = [True, False, False]  # the adversary a ddpg agent
    config = Config(scenario="simple_adversary", perturb_opponents=0.1, perturb_team="adversaries")
    with pytest.raises(UserError) as e:
        perturb.with_perturbed_opponents(config, env, Fixed([]), critics)
    assert "centralised critics" in str(e.value) and "ddpg" in str(e.value) and "\n" not in str(e.value)
    perturb.with_perturbed_opponents(config.replace(perturb_team="good"), env, Fixed([]), critics)  # the good team's are


def test_an_env_that_turns_vectors_into_choices_is_refused():
    from maddpg_tf2.envs import spaces

    env = types.SimpleNamespace(adversary_n=[True, False], action_space_n=[spaces.Discrete(5)] * 2)
    config = Config(scenario="pettingzoo:mpe2.simple_adversary_v3", perturb_opponents=0.1)
    with pytest.raises(UserError) as e:
        perturb.with_perturbed_opponents(config, env, Fixed([]), SmoothCritics())
    assert "discrete choices" in str(e.value) and "\n" not in str(e.value)


# ----------------------------------------------------------------------------- the command line

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run of physical deception (maddpg agents)."""
    tmp = tmp_path_factory.mktemp("perturb")
    rc = cli.main([*TASK, "--num-episodes", "60", *TINY, "--save-dir", str(tmp / "run"), "--plots-dir", str(tmp / "p"),
                   "--exp-name", "run"])
    assert rc == 0
    return tmp


def bench_args(tmp, name, *extra):
    return [*TASK, "--benchmark", "--benchmark-iters", "40", "--load-dir", str(tmp / "run"), *TINY,
            "--benchmark-dir", str(tmp / "b"), "--exp-name", name, *map(str, extra)]


def summary_of(tmp, name):
    return json.loads((tmp / "b" / f"{name}_summary.json").read_text())


def test_benchmark_against_perturbed_adversaries(trained, tmp_path, monkeypatch, capsys):
    from maddpg_tf2.fileio import read_data_pickle

    monkeypatch.chdir(tmp_path)
    for name, extra in (("plain", []), ("zero", ["--perturb-opponents", 0]), ("half", ["--perturb-opponents", 0.5])):
        assert cli.main(bench_args(trained, name, *extra)) == 0
    out = capsys.readouterr().out
    assert "note: the adversaries acted perturbed: worst step of eps 0.5 against the good team" in out
    assert summary_of(trained, "half")["perturbation"] == {"eps": 0.5, "team": "good", "kind": "worst"}
    plain, zero = summary_of(trained, "plain"), summary_of(trained, "zero")
    assert "perturbation" not in zero and zero == plain  # eps 0: exactly the unperturbed run
    pickle = lambda name: read_data_pickle(str(trained / "b" / f"{name}.pkl"))  # noqa: E731
    assert pickle("zero") == pickle("plain") and pickle("half") != pickle("plain")


def test_with_adversaries_from_each_team_is_judged_by_the_critics_of_its_own_run(trained, tmp_path, monkeypatch,
                                                                                 capsys):
    from maddpg_tf2 import playback
    from maddpg_tf2.envs.make import make_env_for

    monkeypatch.chdir(tmp_path)
    other = str(trained / "run") + "/"  # the same weights under another name
    args = bench_args(trained, "cross", "--adversaries-from", other, "--perturb-opponents", 0.5,
                      "--perturb-team", "adversaries", "--perturb-kind", "random")
    assert cli.main(args) == 0, capsys.readouterr().err
    assert summary_of(trained, "cross")["perturbation"] == {"eps": 0.5, "team": "adversaries", "kind": "random"}
    config = cli.parse_config(args)
    env = make_env_for(config, num_envs=2, seed=0)
    assert playback._load_policy(config, env).learner.config.load_dir == other
    config = cli.parse_config(bench_args(trained, "x", "--adversaries-from", other, "--perturb-opponents", 0.5))
    assert playback._load_policy(config, env).learner.config.load_dir == str(trained / "run")
