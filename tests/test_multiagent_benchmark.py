"""benchmark_data of the scenarios that had none in the original (simple, simple_push,
simple_reference) and of simple_speaker_listener (fixed to return its reward), on hand numbers."""
import numpy as np
import pytest

from multiagent import scenarios


def _world(name):
    scenario = scenarios.load(name).Scenario()
    np.random.seed(0)
    return scenario, scenario.make_world()


def test_simple_reward_and_distance():
    scenario, world = _world('simple')
    agent = world.agents[0]
    agent.state.p_pos = np.array([0.0, 0.0])
    world.landmarks[0].state.p_pos = np.array([0.3, 0.4])
    info = scenario.benchmark_data(agent, world)
    assert type(info) is tuple and all(type(x) is float for x in info)
    assert info == pytest.approx((-0.25, 0.5), abs=1e-15)


def test_simple_push_reward_and_distance_to_goal():
    scenario, world = _world('simple_push')
    adversary, good = world.agents
    goal = good.goal_a
    assert adversary.goal_a is goal
    goal.state.p_pos = np.array([0.0, 0.0])
    good.state.p_pos = np.array([0.6, 0.8])
    adversary.state.p_pos = np.array([0.0, 0.5])
    assert scenario.benchmark_data(good, world) == pytest.approx((-1.0, 1.0), abs=1e-15)
    # adversary: nearest good agent's distance (1.0) minus its own (0.5)
    info = scenario.benchmark_data(adversary, world)
    assert all(type(x) is float for x in info)
    assert info == pytest.approx((0.5, 0.5), abs=1e-15)


def test_simple_reference_own_reward_and_goal_distance():
    scenario, world = _world('simple_reference')
    a0, a1 = world.agents
    a1.state.p_pos = np.array([1.0, 1.0])
    a0.goal_b.state.p_pos = np.array([1.0, 0.5])
    # agent 0's own (not summed) reward: -(distance from agent 1 to agent 0's goal landmark)^2
    assert scenario.benchmark_data(a0, world) == pytest.approx((-0.25, 0.5), abs=1e-15)


def test_simple_speaker_listener_returns_reward():
    scenario, world = _world('simple_speaker_listener')
    speaker, listener = world.agents
    listener.state.p_pos = np.array([0.0, 0.0])
    speaker.goal_b.state.p_pos = np.array([0.0, 2.0])
    assert scenario.benchmark_data(speaker, world) == pytest.approx(-4.0)
    assert scenario.benchmark_data(listener, world) == pytest.approx(-4.0)


def test_simple_spread_counts_self_collision():
    scenario, world = _world('simple_spread')
    for k, agent in enumerate(world.agents):
        agent.state.p_pos = np.array([k * 1.0, 0.0])
    for k, landmark in enumerate(world.landmarks):
        landmark.state.p_pos = np.array([k * 1.0, 0.05])
    rew, collisions, min_dists, occupied = scenario.benchmark_data(world.agents[0], world)
    assert collisions == 1  # only itself
    assert min_dists == pytest.approx(0.15) and occupied == 3
    assert rew == pytest.approx(-0.15 - 1)
    assert scenario.reward(world.agents[0], world) == pytest.approx(-1.15)
