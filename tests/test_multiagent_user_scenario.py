"""Loading scenarios (built-in names, users' files), clear errors, and World/MultiAgentEnv behaviour
on hand-computed numbers."""
import numpy as np
import pytest

from multiagent import scenarios
from multiagent.core import Action, Agent, Landmark, World
from multiagent.environment import BatchMultiAgentEnv, MultiAgentEnv
from multiagent.multi_discrete import MultiDiscrete
from multiagent.scenarios import BUILTIN_SCENARIOS, ScenarioError


def _make_env(module, **kwargs):
    scenario = module.Scenario()
    world = scenario.make_world()
    return MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation, **kwargs)


def test_user_scenario_file_loads_by_path_and_runs(data_dir):
    module = scenarios.load(str(data_dir / 'user_scenario.py'))
    env = _make_env(module)
    # speaker (agent 0) moves and speaks: MultiDiscrete; the others only move
    assert isinstance(env.action_space[0], MultiDiscrete)
    assert env.action_space[0].sizes == [5, 2]
    assert [space.n for space in env.action_space[1:]] == [5, 5]
    np.random.seed(3)
    obs_n = env.reset()
    assert [o.shape for o in obs_n] == [(10,)] * 3
    action_n = [np.array([0, 1, 0, 0, 0, 0.25, 0.75]), np.eye(5)[3], np.eye(5)[0]]
    for _ in range(10):
        obs_n, reward_n, done_n, info_n = env.step(action_n)
    assert all(o.dtype == np.float64 for o in obs_n)
    assert done_n == [False] * 3 and info_n == {'n': [{}, {}, {}]}
    np.testing.assert_array_equal(env.world.agents[0].state.c, [0.25, 0.75])
    np.testing.assert_array_equal(obs_n[1][-2:], [0.25, 0.75])  # everybody hears agent 0
    assert reward_n[0] == -reward_n[2]
    # chasers are clamped to their max_speed
    assert np.hypot(*env.world.agents[0].state.p_vel) <= 1.0 + 1e-12


def test_builtin_names_with_and_without_extension():
    assert scenarios.load('simple_spread.py') is scenarios.load('simple_spread')
    assert len(BUILTIN_SCENARIOS) == 9
    for name in BUILTIN_SCENARIOS:
        assert hasattr(scenarios.load(name), 'Scenario')


def test_unknown_name_lists_builtins():
    with pytest.raises(ScenarioError) as err:
        scenarios.load('simple_nonexistent')
    assert isinstance(err.value, ValueError)
    for name in BUILTIN_SCENARIOS:
        assert name in str(err.value)


def test_broken_scenario_files_name_the_file_and_cause(tmp_path):
    broken = tmp_path / 'broken_scenario.py'
    broken.write_text('from multiagent.core import World\ndef make_world(:\n')
    with pytest.raises(ScenarioError, match='broken_scenario.py.*SyntaxError'):
        scenarios.load(str(broken))
    failing = tmp_path / 'failing_scenario.py'
    failing.write_text('import module_that_does_not_exist_here\n')
    with pytest.raises(ScenarioError, match='failing_scenario.py.*ModuleNotFoundError'):
        scenarios.load(str(failing))
    no_class = tmp_path / 'no_class.py'
    no_class.write_text('x = 1\n')
    with pytest.raises(ScenarioError, match='no_class.py.*no class Scenario'):
        scenarios.load(str(no_class))
    with pytest.raises(ScenarioError, match='no such file'):
        scenarios.load(str(tmp_path / 'missing.py'))


def test_wrong_action_length_names_agent_space_and_length():
    env = _make_env(scenarios.load('simple_reference'))
    env.reset()
    good = np.eye(15)[0]
    with pytest.raises(ValueError, match=r"'agent 1'.*length 14.*MultiDiscrete2.*length 15"):
        env.step([good, good[:14]])
    with pytest.raises(ValueError, match='2 policy agents'):
        env.step([good])


def _one_agent_world():
    world = World()
    agent = Agent()
    agent.name = 'agent 0'
    agent.silent = True
    agent.collide = False
    agent.state.p_pos = np.array([0.1, -0.2])
    agent.state.p_vel = np.array([0.4, 0.0])
    world.agents = [agent]
    return world


def test_world_step_hand_numbers():
    world = _one_agent_world()
    agent = world.agents[0]
    agent.action.u = np.array([5.0, 0.0])
    world.step()
    # v = 0.4 * (1 - 0.25) + 5 / 1 * 0.1 = 0.8; p = 0.1 + 0.8 * 0.1
    np.testing.assert_allclose(agent.state.p_vel, [0.8, 0.0], atol=1e-15)
    np.testing.assert_allclose(agent.state.p_pos, [0.18, -0.2], atol=1e-15)
    # the world's own constants are used (users may change them)
    world.damping = 0.5
    world.dt = 0.2
    agent.initial_mass = 2.0
    world.step()
    # v = 0.8 * 0.5 + 5 / 2 * 0.2 = 0.9; p = 0.18 + 0.9 * 0.2
    np.testing.assert_allclose(agent.state.p_vel, [0.9, 0.0], atol=1e-15)
    np.testing.assert_allclose(agent.state.p_pos, [0.36, -0.2], atol=1e-15)


def test_contact_force_hand_numbers():
    world = World()
    a, wall = Agent(), Landmark()
    a.silent = True
    a.state.p_pos, a.state.p_vel = np.array([0.1, 0.0]), np.zeros(2)
    wall.state.p_pos, wall.state.p_vel = np.zeros(2), np.zeros(2)
    a.action.u = np.zeros(2)
    world.agents, world.landmarks = [a], [wall]
    world.step()
    # distance 0.1 = summed radii: penetration = 1e-3 * log(2); force 100 * penetration along +x
    force = 100.0 * 1e-3 * np.log(2.0)
    np.testing.assert_allclose(a.state.p_vel, [force * 0.1, 0.0], rtol=1e-12)
    np.testing.assert_array_equal(wall.state.p_pos, [0.0, 0.0])  # immovable


def test_noise_draws_follow_the_original_order():
    world = World()
    world.dim_c = 2
    agents = [Agent() for _ in range(2)]
    for agent in agents:
        agent.collide = False
        agent.u_noise = 0.1
        agent.c_noise = 0.2
        agent.state.p_pos, agent.state.p_vel = np.zeros(2), np.zeros(2)
        agent.action.u, agent.action.c = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    world.agents = agents
    np.random.seed(5)
    world.step()
    np.random.seed(5)
    # all u noises (agent order) before all c noises (agent order)
    u_noise = [np.random.randn(2) * 0.1 for _ in agents]
    c_noise = [np.random.randn(2) * 0.2 for _ in agents]
    for agent, un, cn in zip(agents, u_noise, c_noise):
        np.testing.assert_allclose(agent.state.p_vel, (np.array([1.0, 0.0]) + un) * 0.1, atol=1e-15)
        np.testing.assert_allclose(agent.state.c, np.array([0.0, 1.0]) + cn, atol=1e-15)


def test_scripted_agent_acts_first_and_is_not_a_policy_agent():
    world = _one_agent_world()
    scripted = Agent()
    scripted.silent = True
    scripted.collide = False
    scripted.state.p_pos, scripted.state.p_vel = np.zeros(2), np.zeros(2)

    def push_up(agent, world_):
        action = Action()
        action.u = np.array([0.0, 2.0])
        return action

    scripted.action_callback = push_up
    world.agents.append(scripted)
    assert world.policy_agents == world.agents[:1] and world.scripted_agents == [scripted]
    env = MultiAgentEnv(world, observation_callback=lambda agent, w: agent.state.p_pos)
    assert env.n == 1
    env.step([np.eye(5)[0]])
    np.testing.assert_allclose(scripted.state.p_vel, [0.0, 0.2], atol=1e-15)


def test_action_options_discrete_input_and_force_discrete():
    env = _make_env(scenarios.load('simple'))
    env.reset()
    env._set_action(np.array([0.1, 0.5, 0.2, 0.0, 0.3]), env.agents[0], env.action_space[0])
    np.testing.assert_allclose(env.agents[0].action.u, [(0.5 - 0.2) * 5.0, (0.0 - 0.3) * 5.0])
    env.force_discrete_action = True
    env._set_action(np.array([0.1, 0.5, 0.2, 0.0, 0.3]), env.agents[0], env.action_space[0])
    np.testing.assert_allclose(env.agents[0].action.u, [5.0, 0.0])
    env.force_discrete_action = False
    env.discrete_action_input = True
    env._set_action(1, env.agents[0], env.action_space[0])
    np.testing.assert_allclose(env.agents[0].action.u, [-5.0, 0.0])  # the original's index convention


def test_collaborative_reward_is_shared_sum():
    env = _make_env(scenarios.load('simple_spread'))
    np.random.seed(0)
    env.reset()
    _, reward_n, _, _ = env.step([np.eye(5)[1]] * 3)
    assert reward_n[0] == reward_n[1] == reward_n[2]


def test_batch_env_concatenates():
    module = scenarios.load('simple')
    batch = BatchMultiAgentEnv([_make_env(module), _make_env(module)])
    assert batch.n == 2
    obs_n = batch.reset()
    assert len(obs_n) == 2
    obs_n, reward_n, done_n, info_n = batch.step([np.eye(5)[1]] * 2)
    assert len(reward_n) == 2 and len(info_n['n']) == 2
