"""Other libraries' environments (issue 14): our scenarios exported as PettingZoo envs, and the
PettingZoo / Gymnasium adapters the trainer runs on (termination vs truncation, agents that finish
early, spaces of different sizes, missing extras and unknown ids)."""
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
from gymnasium import spaces  # noqa: E402
from pettingzoo.test import api_test, parallel_api_test  # noqa: E402

from maddpg_tf2.envs import BUILTIN_NAMES, make_env, pettingzoo_aec_env, pettingzoo_env  # noqa: E402
from maddpg_tf2.envs.base import episode_over  # noqa: E402
from maddpg_tf2.envs.external import MissingExtraError  # noqa: E402
from maddpg_tf2.envs.make import UnknownScenarioError, env_stem  # noqa: E402
from maddpg_tf2.envs.particle import ParticleEnv  # noqa: E402


# ----------------------------------------------------------------------------- export

@pytest.mark.parametrize("continuous", [False, True])
@pytest.mark.parametrize("scenario", BUILTIN_NAMES)
def test_exported_scenarios_pass_parallel_api_test(scenario, continuous):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the test's complaints are warnings: none allowed
        parallel_api_test(pettingzoo_env(scenario, continuous_actions=continuous), num_cycles=60)


def test_user_scenario_file_and_aec_pass_the_api_tests(data_dir):
    path = str(data_dir / "user_scenario.py")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel_api_test(pettingzoo_env(path), num_cycles=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # api_test warns about infinite observation bounds, as for mpe2
        api_test(pettingzoo_aec_env("simple_speaker_listener", continuous_actions=True), num_cycles=30)


def test_export_has_the_original_dynamics_and_index_layout():
    """Index 1 moves towards -x, as the original's discrete_action_input (and PettingZoo's MPE);
    the world is the engine's own: same seed, same one-hot action, same observations."""
    env = pettingzoo_env("simple", max_cycles=3)
    obs, _ = env.reset(seed=3)
    engine = ParticleEnv("simple")
    engine.seed(3)
    np.testing.assert_array_equal(obs["agent_0"], engine.reset()[0][0].astype(np.float32))
    obs, rew, term, trunc, _ = env.step({"agent_0": 1})
    ref_obs, ref_rew, _, _ = engine.step([np.array([[0.0, 0.0, 1.0, 0.0, 0.0]])])  # -x in one-hot layout
    np.testing.assert_allclose(obs["agent_0"], ref_obs[0][0], rtol=1e-6)
    assert obs["agent_0"][0] < 0 and rew["agent_0"] == pytest.approx(ref_rew[0, 0])
    env.step({"agent_0": 0})
    _, _, term, trunc, _ = env.step({"agent_0": 0})
    assert trunc == {"agent_0": True} and term == {"agent_0": False} and env.agents == []
    assert env.state().shape == env.state_space.shape
    assert isinstance(env.action_space("agent_0"), spaces.Discrete)


def test_speaking_agents_get_gymnasium_multidiscrete():
    env = pettingzoo_env("simple_reference")
    assert env.action_space("agent_0") == spaces.MultiDiscrete([5, 10])
    env = pettingzoo_env("simple_reference", continuous_actions=True)
    space = env.action_space("agent_0")
    assert space.shape == (12,) and space.low[0] == -1 and space.low[2] == 0


# ----------------------------------------------------------------------------- continuous mode

@pytest.mark.parametrize("scenario", ["simple_spread", "simple_speaker_listener"])
def test_continuous_mode_moves_as_the_discrete_difference(scenario):
    """u = action (continuous) equals u = a[+] - a[-] (discrete) for matching vectors."""
    disc = ParticleEnv(scenario, num_envs=3, seed=5)
    cont = ParticleEnv(scenario, num_envs=3, seed=5, continuous_actions=True)
    rng = np.random.default_rng(0)
    for _ in range(4):
        act_c, act_d = [], []
        for space, sp_d in zip(cont.action_space_n, disc.action_space_n):
            a = rng.uniform(space.low, space.high, size=(3, space.shape[0]))
            act_c.append(a)
            moves = space.low[0] == -1
            if moves:
                move = np.zeros((3, 5))
                move[:, 1], move[:, 2] = np.maximum(a[:, 0], 0), np.maximum(-a[:, 0], 0)
                move[:, 3], move[:, 4] = np.maximum(a[:, 1], 0), np.maximum(-a[:, 1], 0)
                act_d.append(np.concatenate([move, a[:, 2:]], axis=1))
            else:
                act_d.append(a)
        oc, rc, _, _ = cont.step(act_c)
        od, rd, _, _ = disc.step(act_d)
        for x, y in zip(oc, od):
            np.testing.assert_allclose(x, y, atol=1e-12)
        np.testing.assert_allclose(rc, rd, atol=1e-12)


def test_continuous_mode_of_scenario_files_gives_flat_boxes(data_dir):
    env = make_env(str(data_dir / "user_scenario.py"), num_envs=2, seed=0, continuous_actions=True)
    assert all(isinstance(s, spaces.Box) for s in env.action_space_n)
    assert [s.shape[0] for s in env.action_space_n] == [4, 2, 2]  # the speaker: move (2) + comm (2)
    env.reset()
    obs_n, rew, done, _ = env.step([np.full((2, s.shape[0]), 0.5) for s in env.action_space_n])
    assert rew.shape == (2, 3) and not done.any()


# ----------------------------------------------------------------------------- PettingZoo in

@pytest.fixture
def early_exit(data_dir, monkeypatch):
    monkeypatch.syspath_prepend(str(data_dir))
    return "pettingzoo:early_exit_env"


def test_agents_that_finish_early_are_absorbing_and_truncation_is_not_done(early_exit):
    env = make_env(early_exit, num_envs=2, seed=0, env_kwargs={"max_cycles": 4, "finish": 2})
    assert [s.shape[0] for s in env.observation_space_n] == [3, 5]  # spaces of different sizes
    assert isinstance(env.action_space_n[0], spaces.Discrete) and env.action_space_n[1].shape == (2,)
    obs_n = env.reset()
    acts = [np.array([[0.1, 0.7, 0.2]] * 2), np.array([[3.0, -0.5]] * 2)]
    history = []
    for _ in range(4):
        obs_n, rew, done, _ = env.step(acts)
        history.append((obs_n, rew, done, env.truncated.copy()))
    # the policy's soft vector becomes its argmax, a Box action is clipped into the bounds
    sent = env.envs[0].received
    assert sent[0]["walker"] == 1 and np.allclose(sent[0]["runner"], [1.0, -0.5])
    assert [set(s) for s in sent] == [{"walker", "runner"}] * 2 + [{"walker"}] * 2  # none sent once gone
    (o1, r1, d1, t1), (o2, r2, d2, t2), (o3, r3, d3, t3), (o4, r4, d4, t4) = history
    assert not d1.any() and r2[0, 1] == 10.0 and d2[0].tolist() == [False, True]  # runner terminates
    assert r3[0].tolist() == [1.0, 0.0] and d3[0].tolist() == [False, True]  # then absorbing: reward 0, done
    np.testing.assert_array_equal(o3[1][0], np.full(5, 2.0))  # its last observation, frozen
    np.testing.assert_array_equal(o3[0][0], np.full(3, 3.0))
    assert not t3.any() and t4.all()  # the walker's time limit: truncated, not done
    assert d4[0].tolist() == [False, True]
    assert episode_over(env, d4, np.zeros(2, bool)).all()
    obs_n = env.reset(np.array([True, False]))
    assert obs_n[0][0, 0] == 0.0 and obs_n[0][1, 0] == 4.0 and not env.truncated[0]


def test_mpe2_simple_spread_in_batches():
    pytest.importorskip("mpe2")
    env = make_env("pettingzoo:mpe2.simple_spread_v3", num_envs=3, seed=1, env_kwargs={"max_cycles": 5})
    assert env.n == 3 and env.num_envs == 3 and env_stem("pettingzoo:mpe2.simple_spread_v3") == "simple_spread_v3"
    obs_n = env.reset()
    assert [o.shape for o in obs_n] == [(3, 18)] * 3
    for t in range(5):
        obs_n, rew, done, _ = env.step([np.eye(5)[np.zeros(3, int) + t] for _ in range(3)])
        assert not done.any() and env.truncated.all() == (t == 4)
    assert rew.shape == (3, 3)
    # seeded: the same seed gives the same worlds
    again = make_env("pettingzoo:mpe2.simple_spread_v3", num_envs=3, seed=1, env_kwargs={"max_cycles": 5})
    np.testing.assert_array_equal(again.reset()[0], make_env("pettingzoo:mpe2.simple_spread_v3", num_envs=3,
                                                              seed=1, env_kwargs={"max_cycles": 5}).reset()[0])


# ----------------------------------------------------------------------------- Gymnasium in

def test_gymnasium_truncation_and_termination():
    env = make_env("gymnasium:Pendulum-v1", num_envs=2, seed=0)
    assert env.n == 1 and env.episode_limit == 200 and env.action_space_n[0].shape == (1,)
    env.reset()
    for t in range(200):
        _, rew, done, _ = env.step([np.full((2, 1), 5.0)])  # clipped to 2
        assert not done.any() and env.truncated.all() == (t == 199)
    cart = make_env("gymnasium:CartPole-v1", num_envs=1, seed=0)
    cart.reset()
    for _ in range(200):
        _, _, done, _ = cart.step([np.array([[1.0, 0.0]])])  # always push left: falls soon
        if done.any():
            break
    assert done.all() and not cart.truncated.any()  # fell over: terminated, not truncated


def test_unknown_ids_and_missing_extras_name_the_fix(monkeypatch, early_exit):
    with pytest.raises(UnknownScenarioError, match="unknown Gymnasium env id 'Nope-v0'"):
        make_env("gymnasium:Nope-v0")
    with pytest.raises(UnknownScenarioError, match="unknown PettingZoo env module 'no_such_module'"):
        make_env("pettingzoo:no_such_module")
    with pytest.raises(UnknownScenarioError, match="defines no parallel_env"):
        make_env("pettingzoo:json")
    with pytest.raises(Exception, match="does not take these --env-kwargs"):
        make_env(early_exit, env_kwargs={"bogus": 1})
    for name in [m for m in sys.modules if m.startswith("mpe2.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mpe2", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r'pip install -e "\.\[pettingzoo\]"'):
        make_env("pettingzoo:mpe2.simple_spread_v3")
    monkeypatch.setitem(sys.modules, "pettingzoo", None)
    with pytest.raises(MissingExtraError, match=r"pettingzoo is not installed"):
        make_env(early_exit)


def test_gymnasium_resets_continue_the_seeded_stream():
    env = make_env("gymnasium:Pendulum-v1", num_envs=1, seed=7)
    first, second = env.reset()[0].copy(), env.reset()[0].copy()
    assert not np.array_equal(first, second)  # a new episode, not the seeded start again
    env.seed(7)
    np.testing.assert_array_equal(env.reset()[0], first)
