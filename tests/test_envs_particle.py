"""The vectorised particle engine against traces recorded from the original MPE, plus its own
contracts: masked resets, spaces, seeding."""
import json

import numpy as np
import pytest
from gymnasium import spaces

from maddpg_tf2.envs.base import MultiDiscrete
from maddpg_tf2.envs.particle import ParticleEnv
from maddpg_tf2.envs.scenarios import BUILTIN_NAMES

TOL = 1e-9
EPISODE_LEN = 25

# ORIGINAL.md section 6: observation sizes and action spaces (sub-space sizes) per scenario
SHAPES = {
    "simple": ([4], [[5]]),
    "simple_adversary": ([8, 10, 10], [[5]] * 3),
    "simple_crypto": ([4, 8, 8], [[4]] * 3),
    "simple_push": ([8, 19], [[5]] * 2),
    "simple_reference": ([21, 21], [[5, 10]] * 2),
    "simple_speaker_listener": ([3, 11], [[3], [5]]),
    "simple_spread": ([18] * 3, [[5]] * 3),
    "simple_tag": ([16, 16, 16, 14], [[5]] * 4),
    "simple_world_comm": ([34] * 4 + [28] * 2, [[5, 4]] + [[5]] * 5),
}


def _index(name):
    return int(name.split()[-1])


def episode_vars(scenario, drawn):
    """The engine's episode variables from what a reset of the original drew (reset_json)."""
    if scenario in ("simple_adversary", "simple_push"):
        return {"goal": _index(drawn["goal_a"]["agent 0"])}
    if scenario == "simple_crypto":
        return {"goal": _index(drawn["goal_a"]["agent 0"]), "key": int(np.argmax(drawn["key"]["agent 2"]))}
    if scenario == "simple_reference":
        return {"goal_b": [_index(drawn["goal_b"]["agent 0"]), _index(drawn["goal_b"]["agent 1"])]}
    if scenario == "simple_speaker_listener":
        return {"goal_b": _index(drawn["goal_b"]["agent 0"])}
    return {}


def as_plain(x):
    """Benchmark values as nested lists of floats, for comparison with the trace's JSON."""
    if isinstance(x, (tuple, list)):
        return [as_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def assert_close_nested(got, want, where):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for g, w in zip(got, want):
            assert_close_nested(g, w, where)
    else:
        assert type(got) is type(want) or {type(got), type(want)} <= {int, float}, where
        assert abs(got - want) <= TOL, (where, got, want)


def load_trace(data_dir, scenario, mode):
    with np.load(data_dir / "traces" / ("%s_seed0_%s.npz" % (scenario, mode))) as f:
        d = dict(f)  # NpzFile reads from the zip on every access
    meta = json.loads(str(d["meta_json"]))
    return d, meta


@pytest.mark.parametrize("mode", ["onehot", "soft"])
@pytest.mark.parametrize("scenario", BUILTIN_NAMES)
@pytest.mark.parametrize("num_envs", [1, 3])
def test_parity_with_original_trace(data_dir, scenario, mode, num_envs):
    d, meta = load_trace(data_dir, scenario, mode)
    n, T = meta["n_policy_agents"], meta["T"]
    resets = json.loads(str(d["reset_json"]))
    infos = json.loads(str(d["info_json"]))
    env = ParticleEnv(scenario, num_envs=num_envs, seed=1, benchmark=True)
    # other worlds keep their own random state: world 1 of 3 replays the trace
    w = 1 if num_envs == 3 else 0
    dim_c = env.dim_c
    got = {k: [] for k in ["obs", "rew", "p_pos", "p_vel", "comm"]}
    for t in range(T):
        if t % EPISODE_LEN == 0:
            ep = t // EPISODE_LEN
            env.set_state(w, d["reset_p_pos"][ep], d["reset_p_vel"][ep], d["reset_comm"][ep],
                          **episode_vars(scenario, resets[ep]))
            obs0 = env.observe()
            for i in range(n):
                np.testing.assert_allclose(obs0[i][w], d["reset_obs_%d" % i][ep], atol=TOL, rtol=0)
        act_n = [np.repeat(d["act_%d" % i][t][None], num_envs, axis=0) for i in range(n)]
        obs_n, rew, done, info_n = env.step(act_n)
        assert [o.shape for o in obs_n] == [(num_envs, k) for k in meta["obs_dims"]]
        assert all(o.dtype == np.float64 for o in obs_n)
        assert rew.dtype == np.float64 and rew.shape == (num_envs, n)
        assert done.shape == (num_envs, n) and not done.any()
        got["obs"].append(np.concatenate([o[w] for o in obs_n]))
        got["rew"].append(rew[w])
        got["p_pos"].append(env.state.p_pos[w].copy())
        got["p_vel"].append(env.state.p_vel[w].copy())
        got["comm"].append(env.state.comm[w].copy())
        assert len(info_n) == num_envs and len(info_n[w]) == n
        if meta["benchmark_info"]:
            assert_close_nested(as_plain(info_n[w]), infos[t], "info t %d" % t)
    want_obs = np.concatenate([d["obs_%d" % i] for i in range(n)], axis=1)
    np.testing.assert_allclose(np.array(got["obs"]), want_obs, atol=TOL, rtol=0)
    for key in ["rew", "p_pos", "p_vel"]:
        np.testing.assert_allclose(np.array(got[key]), d[key], atol=TOL, rtol=0, err_msg=key)
    np.testing.assert_allclose(np.array(got["comm"]), d["comm"][..., :env.dim_c], atol=TOL, rtol=0)


NEW_BENCHMARKS = {  # scenarios the original gives no benchmark_data: (reward, a distance) tuples
    "simple": 2, "simple_push": 2, "simple_reference": 2,
}


@pytest.mark.parametrize("scenario", sorted(NEW_BENCHMARKS) + ["simple_speaker_listener"])
def test_benchmark_data_of_scenarios_the_original_lacks(data_dir, scenario):
    d, meta = load_trace(data_dir, scenario, "soft")
    resets = json.loads(str(d["reset_json"]))
    env = ParticleEnv(scenario, num_envs=1, benchmark=True)
    env.set_state(0, d["reset_p_pos"][0], d["reset_p_vel"][0], d["reset_comm"][0],
                  **episode_vars(scenario, resets[0]))
    own_rew = env.scenario.reward(env.state)  # before sharing
    _, _, _, info_n = env.step([d["act_%d" % i][0][None] for i in range(meta["n_policy_agents"])])
    own_rew = env.scenario.reward(env.state)[0]
    for i, value in enumerate(info_n[0]):
        if scenario == "simple_speaker_listener":
            assert type(value) is float and value == own_rew[i]
            continue
        assert isinstance(value, tuple) and len(value) == 2 and all(type(v) is float for v in value)
        assert value[0] == own_rew[i] and value[1] >= 0.0
    p = env.state.p_pos[0]
    if scenario == "simple":
        assert info_n[0][0][1] == pytest.approx(np.linalg.norm(p[0] - p[1]))
    if scenario == "simple_push":
        goal = p[2 + env.state.goal[0]]
        assert [v[1] for v in info_n[0]] == pytest.approx([np.linalg.norm(p[0] - goal), np.linalg.norm(p[1] - goal)])
    if scenario == "simple_reference":
        g = env.state.goal_b[0]
        assert info_n[0][0][1] == pytest.approx(np.linalg.norm(p[1] - p[2 + g[0]]))
        assert info_n[0][1][1] == pytest.approx(np.linalg.norm(p[0] - p[2 + g[1]]))


def test_benchmark_off_gives_no_info():
    env = ParticleEnv("simple_spread", num_envs=2)
    _, _, _, info_n = env.step([np.zeros((2, 5))] * 3)
    assert info_n is None


@pytest.mark.parametrize("scenario", BUILTIN_NAMES)
def test_spaces_and_names(scenario):
    obs_dims, sub_sizes = SHAPES[scenario]
    env = ParticleEnv(scenario, num_envs=2, seed=0)
    assert env.n == len(obs_dims) == len(env.agent_names) == len(env.adversary_n)
    assert [s.shape for s in env.observation_space_n] == [(d,) for d in obs_dims]
    assert all(isinstance(s, spaces.Box) for s in env.observation_space_n)
    for space, sizes in zip(env.action_space_n, sub_sizes):
        if len(sizes) == 1:
            assert isinstance(space, spaces.Discrete) and space.n == sizes[0]
        else:
            assert isinstance(space, MultiDiscrete) and list(space.nvec) == sizes
    obs_n = env.reset()
    assert [o.shape for o in obs_n] == [(2, d) for d in obs_dims]
    assert env.agent_names == ["agent %d" % i for i in range(env.n)]


def test_adversary_flags():
    assert ParticleEnv("simple_tag").adversary_n == [True, True, True, False]
    assert ParticleEnv("simple_world_comm").adversary_n == [True] * 4 + [False] * 2
    assert ParticleEnv("simple_crypto").adversary_n == [True, False, False]
    assert ParticleEnv("simple_spread").adversary_n == [False] * 3
    assert ParticleEnv("simple_spread.py").scenario_name == "simple_spread"


@pytest.mark.parametrize("scenario", BUILTIN_NAMES)
def test_masked_reset_only_touches_masked_worlds(scenario):
    env = ParticleEnv(scenario, num_envs=4, seed=3)
    acts = [np.tile(np.eye(k)[1], (4, 1)) for k in env.action_dims]
    for _ in range(3):
        env.step(acts)
    before_pos, before_vel = env.state.p_pos.copy(), env.state.p_vel.copy()
    before_obs = env.observe()
    mask = np.array([True, False, True, False])
    obs_n = env.reset(mask)
    keep = ~mask
    np.testing.assert_array_equal(env.state.p_pos[keep], before_pos[keep])
    np.testing.assert_array_equal(env.state.p_vel[keep], before_vel[keep])
    for o, b, full in zip(obs_n, before_obs, env.observe()):
        np.testing.assert_array_equal(o[keep], b[keep])
        np.testing.assert_array_equal(o, full)  # observing only the fresh worlds loses nothing
    assert not np.array_equal(env.state.p_pos[mask], before_pos[mask])
    assert np.all(env.state.p_vel[mask] == 0) and np.all(env.state.comm[mask] == 0)
    A = env.scenario.num_agents
    r = env.scenario.landmark_range
    assert np.all(np.abs(env.state.p_pos[mask][:, :A]) <= 1.0)
    assert np.all(np.abs(env.state.p_pos[mask][:, A:]) <= r)


@pytest.mark.parametrize("scenario", ["simple_adversary", "simple_crypto", "simple_reference", "simple_world_comm"])
def test_seeded_resets_reproduce(scenario):
    a, b = ParticleEnv(scenario, num_envs=5, seed=7), ParticleEnv(scenario, num_envs=5, seed=7)
    for env in (a, b):
        env.reset()
        env.reset(np.array([True, False, True, True, False]))
    np.testing.assert_array_equal(a.state.p_pos, b.state.p_pos)
    for name in a.state.var_names:
        np.testing.assert_array_equal(getattr(a.state, name), getattr(b.state, name))
    c = ParticleEnv(scenario, num_envs=5, seed=8)
    assert not np.array_equal(a.state.p_pos, c.state.p_pos)
    a.seed(11), c.seed(11)
    np.testing.assert_array_equal(a.reset()[0], c.reset()[0])


def test_goal_choices_cover_all_landmarks():
    env = ParticleEnv("simple_adversary", num_envs=400, seed=0)
    assert set(np.unique(env.state.goal)) == {0, 1}
    env = ParticleEnv("simple_crypto", num_envs=400, seed=0)
    assert set(np.unique(env.state.key)) == {0, 1}
    assert 0 < np.mean(env.state.goal == env.state.key) < 1  # drawn independently


def test_action_scaling_uses_accel_and_comm_parsing():
    env = ParticleEnv("simple_world_comm", num_envs=1, seed=0)
    env.set_state(0, np.array([[-0.5 + 0.3 * i, 0.8] for i in range(11)]))  # nobody touches
    leader = np.array([[0, 1.0, 0, 0, 0.25, 0.1, 0.2, 0.3, 0.4]])  # +x, -y 0.25; message
    good = np.array([[0, 0, 0.5, 0, 0]])  # -x 0.5
    env.step([leader] + [np.zeros((1, 5))] * 3 + [good, np.zeros((1, 5))])
    # v = F / m * dt with F = u * accel (3 for adversaries, 4 for good agents)
    np.testing.assert_allclose(env.state.p_vel[0, 0], [0.3, -0.075], atol=1e-12)
    np.testing.assert_allclose(env.state.p_vel[0, 4], [-0.2, 0.0], atol=1e-12)
    np.testing.assert_allclose(env.state.comm[0, 0], [0.1, 0.2, 0.3, 0.4])
    assert np.all(env.state.comm[0, 1:] == 0)


def test_render_frame():
    pytest.importorskip("maddpg_tf2.render", reason="maddpg_tf2.render (draw_frame) is not written yet")
    env = ParticleEnv("simple_crypto", num_envs=2, seed=0)
    frame = env.render(1)
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3


def test_colors_shape():
    for name in BUILTIN_NAMES:
        env = ParticleEnv(name, num_envs=2, seed=0)
        c = env.scenario.colors(env.state, 1)
        assert c.shape == (env.scenario.num_entities, 3)


def test_wrong_action_sizes_are_refused():
    env = ParticleEnv("simple_reference", num_envs=2)
    with pytest.raises(ValueError, match="expected"):
        env.step([np.zeros((2, 5)), np.zeros((2, 5))])


def test_bound_penalty_by_hand():
    from maddpg_tf2.envs.scenarios._common import bound_penalty

    got = bound_penalty(np.array([0.0, 0.89, 0.95, 1.2, 5.0, 1e6]))
    np.testing.assert_allclose(got, [0.0, 0.0, 0.5, np.exp(0.4), 10.0, 10.0], atol=1e-12)
