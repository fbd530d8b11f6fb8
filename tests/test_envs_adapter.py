"""ObjectEnvBatch (E object-style environments as one BatchedEnv) and make_env."""
import numpy as np
import pytest

from maddpg_tf2.envs import BUILTIN_NAMES, UnknownScenarioError, make_env
from maddpg_tf2.envs.adapter import ObjectEnvBatch
from maddpg_tf2.envs.particle import ParticleEnv


class _Agent:
    def __init__(self, name, adversary):
        self.name, self.adversary = name, adversary


class FakeEnv:
    """The original MultiAgentEnv's API with a trivial world: agent i observes [resets, steps, i,
    last action sum] and is rewarded its action's first entry."""

    def __init__(self):
        from gymnasium import spaces

        self.n = 2
        self.agents = [_Agent("agent 0", True), _Agent("agent 1", False)]
        self.observation_space = [spaces.Box(-np.inf, np.inf, (4,), np.float32)] * 2
        self.action_space = [spaces.Discrete(5), spaces.Discrete(3)]
        self.resets, self.steps = 0, 0
        self.draw = np.random.uniform()  # from the global stream, as the original's make_world

    def _obs(self, act_n):
        return [np.array([self.resets, self.steps, i, float(np.sum(a))]) for i, a in enumerate(act_n)]

    def reset(self):
        self.resets += 1
        self.steps = 0
        return self._obs([np.zeros(5), np.zeros(3)])

    def step(self, act_n):
        self.steps += 1
        rew = [float(a[0]) for a in act_n]
        return self._obs(act_n), rew, [False, self.steps > 2], {"n": [("info", self.steps), self.resets]}

    def render(self, mode="human"):
        return [np.full((4, 4, 3), self.resets, dtype=np.uint8)]


def test_batches_object_envs():
    env = ObjectEnvBatch(FakeEnv, num_envs=3, seed=0, benchmark=True)
    assert env.n == 2 and env.num_envs == 3
    assert env.adversary_n == [True, False] and env.agent_names == ["agent 0", "agent 1"]
    assert [s.n for s in env.action_space_n] == [5, 3]
    obs_n = env.reset()
    assert [o.shape for o in obs_n] == [(3, 4), (3, 4)] and obs_n[0].dtype == np.float64
    act_n = [np.arange(15.0).reshape(3, 5), np.ones((3, 3))]
    obs_n, rew, done, info_n = env.step(act_n)
    np.testing.assert_array_equal(rew, [[0, 1], [5, 1], [10, 1]])
    assert rew.dtype == np.float64 and done.dtype == bool and not done.any()
    np.testing.assert_array_equal(obs_n[0][:, 3], [10, 35, 60])  # world e got its own action row
    np.testing.assert_array_equal(obs_n[1][:, 2], [1, 1, 1])
    assert info_n == [[("info", 1), 1]] * 3
    env.step(act_n)
    _, _, done, _ = env.step(act_n)
    np.testing.assert_array_equal(done, [[False, True]] * 3)


def test_masked_reset_and_returned_arrays_stay_intact():
    env = ObjectEnvBatch(FakeEnv, num_envs=3)
    env.reset()
    stepped, _, _, info_n = env.step([np.zeros((3, 5)), np.zeros((3, 3))])
    assert info_n is None  # benchmark off
    obs_n = env.reset(np.array([False, True, False]))
    np.testing.assert_array_equal(obs_n[0][:, :2], [[1, 1], [2, 0], [1, 1]])
    np.testing.assert_array_equal(stepped[0][:, :2], [[1, 1], [1, 1], [1, 1]])
    assert [e.resets for e in env.envs] == [1, 2, 1]
    assert env.render(1).shape == (4, 4, 3) and env.render(1)[0, 0, 0] == 2


def test_seed_seeds_the_global_stream_before_building():
    a = ObjectEnvBatch(FakeEnv, num_envs=2, seed=5)
    b = ObjectEnvBatch(FakeEnv, num_envs=2, seed=5)
    assert [e.draw for e in a.envs] == [e.draw for e in b.envs]
    assert a.envs[0].draw != a.envs[1].draw


def test_step_before_reset_is_an_error():
    with pytest.raises(RuntimeError):
        ObjectEnvBatch(FakeEnv, 1).step([np.zeros((1, 5)), np.zeros((1, 3))])


def _compat_env_factory(name, benchmark):
    pytest.importorskip("multiagent.environment", reason="compat package multiagent not importable")
    from multiagent import scenarios
    from multiagent.environment import MultiAgentEnv

    module = scenarios.load(name)

    def make():
        sc = module.Scenario()
        world = sc.make_world()
        info = sc.benchmark_data if benchmark else None
        return MultiAgentEnv(world, sc.reset_world, sc.reward, sc.observation, info_callback=info)

    return make


@pytest.mark.parametrize("scenario", ["simple_spread", "simple_world_comm", "simple_tag"])
def test_object_envs_agree_with_the_vectorised_engine(scenario):
    """The object-style package and the engine, loaded with the same states, step alike."""
    objs = ObjectEnvBatch(_compat_env_factory(scenario, True), num_envs=2, seed=0, benchmark=True)
    objs.reset()
    vec = ParticleEnv(scenario, num_envs=2, benchmark=True)
    for e, env in enumerate(objs.envs):
        world = env.world
        ents = world.agents + world.landmarks
        vec.set_state(e, np.array([x.state.p_pos for x in ents]), np.array([x.state.p_vel for x in ents]),
                      np.array([a.state.c for a in world.agents]))
    rng = np.random.default_rng(0)
    for _ in range(30):
        act_n = [rng.dirichlet(np.ones(k), size=2) if k == 5 else
                 np.concatenate([rng.dirichlet(np.ones(5), size=2), rng.dirichlet(np.ones(k - 5), size=2)], 1)
                 for k in vec.action_dims]
        o1, r1, _, i1 = objs.step(act_n)
        o2, r2, _, i2 = vec.step(act_n)
        for a, b in zip(o1, o2):
            np.testing.assert_allclose(a, b, atol=1e-9, rtol=0)
        np.testing.assert_allclose(r1, r2, atol=1e-9, rtol=0)
        assert i1 == i2


def test_make_env_builtin_names():
    for name in BUILTIN_NAMES:
        env = make_env(name, num_envs=2, seed=0)
        assert isinstance(env, ParticleEnv) and env.num_envs == 2
    assert isinstance(make_env("simple_tag.py"), ParticleEnv)
    assert make_env("simple", benchmark=True).benchmark


def test_make_env_unknown_scenario_lists_builtins():
    with pytest.raises(UnknownScenarioError) as err:
        make_env("simple_spreadd")
    assert isinstance(err.value, ValueError)
    msg = str(err.value)
    assert all(name in msg for name in BUILTIN_NAMES) and ".py" in msg and "path" in msg
    with pytest.raises(UnknownScenarioError):
        make_env("no/such/scenario.py")


def test_make_env_scenario_file(data_dir):
    pytest.importorskip("multiagent.environment", reason="compat package multiagent not importable")
    path = str(data_dir / "user_scenario.py")
    env = make_env(path, num_envs=2, seed=3)
    assert isinstance(env, ObjectEnvBatch) and env.n == 3
    obs_n = env.reset()
    sizes = [sum(s.sizes) if hasattr(s, "sizes") else s.n for s in env.action_space_n]
    obs_n, rew, done, info_n = env.step([np.tile(np.eye(k)[1], (2, 1)) for k in sizes])
    assert rew.shape == (2, 3) and info_n is None
    # seeded: the same worlds again
    np.testing.assert_array_equal(make_env(path, 2, seed=3).reset()[0], make_env(path, 2, seed=3).reset()[0])
