"""Entity counts as scenario keywords (mpe2's names): observations and rewards against mpe2's own
scenario code for the same state at counts other than the original's, and bad counts as one line."""
import numpy as np
import pytest

from maddpg_tf2.envs import make_env
from maddpg_tf2.envs.particle import ParticleEnv
from maddpg_tf2.errors import ScenarioError

mpe2 = pytest.importorskip("mpe2")


def _mpe2_world(module, **counts):
    import importlib

    sc = importlib.import_module(f"mpe2.{module}.{module}").Scenario()
    world = sc.make_world(**counts)
    sc.reset_world(world, np.random.default_rng(3))
    return sc, world


def _copy_state(env, world, **episode_vars):
    """Our world 0 set to mpe2's positions and velocities (agents then landmarks, as both order them)."""
    entities = world.agents + world.landmarks
    pos = np.array([e.state.p_pos for e in entities])
    vel = np.array([np.zeros(2) if e.state.p_vel is None else e.state.p_vel for e in entities])
    env.set_state(0, pos, vel, **episode_vars)
    return env.observe()


def _vels(world, rng):
    for a in world.agents:
        a.state.p_vel = rng.normal(size=2)


def test_simple_spread_n5_matches_mpe2():
    sc, world = _mpe2_world("simple_spread", N=5)
    _vels(world, np.random.default_rng(0))
    world.agents[1].state.p_pos = world.agents[0].state.p_pos + 0.1  # a colliding pair
    env = ParticleEnv("simple_spread", env_kwargs={"N": 5}, benchmark=True)
    obs = _copy_state(env, world)
    assert env.n == 5 and [o.shape[1] for o in obs] == [30] * 5  # 4 + 2N + 2(N-1) + 2(N-1)
    for i, agent in enumerate(world.agents):
        np.testing.assert_allclose(obs[i][0], sc.observation(agent, world), atol=1e-12)
    # ours (the original's): every agent gets -sum of nearest distances - its collisions counting itself
    ours = env.scenario.reward(env.state)[0]
    theirs = [sc.global_reward(world) + sc.reward(a, world) - 1.0 for a in world.agents]
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    assert ours[0] == ours[1] == ours[2] - 1.0


def test_simple_adversary_and_tag_counts_match_mpe2():
    sc, world = _mpe2_world("simple_adversary", N=4)
    env = ParticleEnv("simple_adversary", env_kwargs={"N": 4})
    goal = world.landmarks.index(world.agents[0].goal_a)
    obs = _copy_state(env, world, goal=goal)
    assert env.n == 5 and [o.shape[1] for o in obs] == [16] + [18] * 4
    for i, agent in enumerate(world.agents):
        np.testing.assert_allclose(obs[i][0], sc.observation(agent, world), atol=1e-12)
    good = [sc.reward(a, world) for a in world.agents[1:]]
    np.testing.assert_allclose(env.scenario.reward(env.state)[0, 1:], good, atol=1e-12)

    sc, world = _mpe2_world("simple_tag", num_good=2, num_adversaries=4, num_obstacles=3)
    _vels(world, np.random.default_rng(1))
    world.agents[4].state.p_pos = world.agents[0].state.p_pos + 0.05  # a catch
    world.agents[5].state.p_pos = np.array([0.95, -1.2])  # out of bounds
    env = ParticleEnv("simple_tag", env_kwargs={"num_good": 2, "num_adversaries": 4, "num_obstacles": 3})
    obs = _copy_state(env, world)
    for i, agent in enumerate(world.agents):
        np.testing.assert_allclose(obs[i][0], sc.observation(agent, world), atol=1e-12)
    np.testing.assert_allclose(env.scenario.reward(env.state)[0], [sc.reward(a, world) for a in world.agents],
                               atol=1e-12)


def test_simple_world_comm_counts_match_mpe2_observations():
    sc, world = _mpe2_world("simple_world_comm", num_good_agents=3, num_adversaries=2, num_landmarks=2,
                            num_food=3, num_forests=3)
    _vels(world, np.random.default_rng(2))
    forests = world.landmarks[-3:]
    world.agents[1].state.p_pos = forests[0].state.p_pos.copy()  # an adversary and a good agent share forest 0
    world.agents[2].state.p_pos = forests[0].state.p_pos + 0.05
    world.agents[3].state.p_pos = forests[2].state.p_pos.copy()  # one alone in forest 2
    env = ParticleEnv("simple_world_comm", env_kwargs={"num_good": 3, "num_adversaries": 2, "num_obstacles": 2,
                                                        "num_food": 3, "num_forests": 3})
    obs = _copy_state(env, world)
    for i, agent in enumerate(world.agents):
        np.testing.assert_allclose(obs[i][0], sc.observation(agent, world), atol=1e-12)


def test_default_counts_are_the_original_and_round_trip():
    for name, kwargs in [("simple_spread", {"N": 3}), ("simple_adversary", {"N": 2}),
                         ("simple_tag", {"num_good": 1, "num_adversaries": 3, "num_obstacles": 2}),
                         ("simple_world_comm", {"num_good": 2, "num_adversaries": 4, "num_obstacles": 1,
                                                "num_food": 2, "num_forests": 2})]:
        a, b = make_env(name, num_envs=2, seed=5), make_env(name, num_envs=2, seed=5, env_kwargs=kwargs)
        for x, y in zip(a.reset(), b.reset()):
            np.testing.assert_array_equal(x, y)
    env = make_env("simple_spread", num_envs=2, seed=0, env_kwargs={"N": 7})
    assert env.n == 7 and len(env.reset()) == 7 and env.env_kwargs == {"N": 7}
    obs_n, rew, done, _ = env.step([np.eye(5)[[1, 1]]] * 7)
    assert rew.shape == (2, 7) and obs_n[0].shape == (2, 4 + 14 + 12 + 12)


@pytest.mark.parametrize("name, kwargs, expected", [
    ("simple_spread", {"N": 0}, "N=0 is not a whole number >= 1"),
    ("simple_tag", {"num_good": -1}, "num_good=-1 is not a whole number"),
    ("simple_spread", {"N": 2.5}, "N=2.5"),
    ("simple_spread", {"num_good": 2}, "no keyword 'num_good'; its --env-kwargs keywords: N (default 3)"),
    ("simple_reference", {"N": 2}, "no keyword 'N'; its --env-kwargs keywords: none"),
])
def test_bad_counts_are_one_line(name, kwargs, expected):
    with pytest.raises(ScenarioError) as err:
        make_env(name, env_kwargs=kwargs)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_pettingzoo_export_takes_counts():
    from pettingzoo.test import parallel_api_test

    from maddpg_tf2.envs.pettingzoo_export import pettingzoo_env

    env = pettingzoo_env("simple_spread", N=5)
    assert len(env.possible_agents) == 5 and env.observation_space("agent_0").shape == (30,)
    parallel_api_test(env, num_cycles=10)


def test_cli_bad_count_is_one_line_before_tensorflow(tmp_path, capsys, monkeypatch):
    from maddpg_tf2.cli import main

    monkeypatch.chdir(tmp_path)
    rc = main(["--scenario", "simple_spread", "--env-kwargs", '{"N": 0}', "--save-dir", str(tmp_path / "s"),
               "--plots-dir", str(tmp_path / "p"), "--quiet"])
    lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert rc == 2 and len(lines) == 1, lines
    assert "scenario simple_spread: N=0 is not a whole number >= 1; its --env-kwargs keywords: N (default 3)" in lines[0]
