"""Code written for the original MPE (`multiagent`, `make_env`) and MADDPG (`maddpg`) runs here: the
API driven exactly as such codes drive it."""
import json
import pathlib
import pickle
import subprocess
import sys
import types

import numpy as np
import pytest

from maddpg_tf2 import fileio

DATA = pathlib.Path(__file__).parent / "data"


# ----------------------------------------------------------------------------- environments

def test_make_env_module_seed_and_python_int_spaces():
    from make_env import make_env

    env = make_env('simple_spread')
    assert env.seed(1) == [1]
    first = env.reset()
    env.seed(1)
    again = env.reset()
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    assert type(env.action_space[0].n) is int and env.action_space[0].n == 5
    assert env.observation_space[0].shape == (18,) and type(env.observation_space[0].shape[0]) is int
    json.dumps([space.n for space in env.action_space])  # numpy ints would fail here
    ref = make_env('simple_reference')
    assert type(ref.action_space[0].num_discrete_space) is int and ref.action_space[0].sizes == [5, 10]
    bench = make_env('simple_spread', benchmark=True)
    bench.reset()
    info = bench.step([np.eye(5)[0]] * 3)[3]
    assert len(info['n']) == 3 and len(info['n'][0]) == 4  # simple_spread's benchmark_data
    cont = make_env('simple_spread', discrete_action=False)  # the forks' keyword
    assert cont.action_space[0].shape == (2,)
    cont.reset()
    cont.step([np.array([1.0, 0.0])] * 3)
    assert cont.world.agents[0].action.u[0] == 5.0  # sensitivity applies to Box actions too


def test_spaces_pass_gym_and_gymnasium_checks():
    gym = pytest.importorskip('gym')
    import gymnasium
    from gym import spaces
    from make_env import make_env

    env = make_env('simple_world_comm')
    assert isinstance(env.action_space[1], gym.spaces.Discrete)
    assert isinstance(env.action_space[1], gymnasium.spaces.Discrete)
    assert isinstance(env.observation_space[0], spaces.Box) and isinstance(env.observation_space[0], gymnasium.spaces.Box)
    leader = env.action_space[0]  # moves and speaks: the original's MultiDiscrete
    assert isinstance(leader, gym.spaces.Space) and isinstance(leader, gymnasium.spaces.Space)
    assert not isinstance(leader, spaces.Discrete)
    restored = pickle.loads(pickle.dumps(env.action_space[1]))
    assert type(restored.n) is int and restored == env.action_space[1]


def _env(name, **kwargs):
    import multiagent.scenarios as scenarios
    from multiagent.environment import MultiAgentEnv

    scenario = scenarios.load(name + '.py').Scenario()
    world = scenario.make_world()
    return MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation, **kwargs)


def test_fork_constructor_arguments():
    steps = []
    env = _env('simple', post_step_callback=lambda world: steps.append(world.agents[0].state.p_pos.copy()),
               done_callback=lambda agent, world: True)
    env.reset()
    obs_n, _, done_n, _ = env.step([np.eye(5)[1]])
    assert done_n == [True] and len(steps) == 1
    # the callback saw the world after the step
    np.testing.assert_array_equal(steps[0], env.world.agents[0].state.p_pos)
    positional = _env('simple_spread', info_callback=None, done_callback=None)
    import multiagent.scenarios as scenarios
    from multiagent.environment import MultiAgentEnv
    scenario = scenarios.load('simple_spread.py').Scenario()
    # the original's train.py passes shared_viewer as the 7th positional argument
    per_agent = MultiAgentEnv(scenario.make_world(), scenario.reset_world, scenario.reward,
                              scenario.observation, None, None, False)
    assert len(per_agent.viewers) == 3 and len(positional.viewers) == 1


# ----------------------------------------------------------------------------- rendering and policies

def test_render_returns_as_the_original_and_primitives_draw(monkeypatch):
    from maddpg_tf2 import render
    from multiagent import rendering

    monkeypatch.setattr(render, 'has_display', lambda: False)
    env = _env('simple_spread', shared_viewer=False)
    env.reset()
    assert env.render() == [None, None, None]
    frames = env.render('rgb_array')
    assert len(frames) == 3 and frames[0].shape == (700, 700, 3)
    # geometry added to an env's viewer shows in its next frame, once
    env.viewers[0].add_onetime(rendering.make_polygon([(-5, -5), (-5, 5), (5, 5), (5, -5)]))
    blackened = env.render('rgb_array')[0]
    assert (blackened == 0).mean() > 0.9 and not (env.render('rgb_array')[0] == 0).mean() > 0.9

    viewer = rendering.Viewer(100, 100)
    viewer.set_bounds(-1, 1, -1, 1)
    circle = rendering.make_circle(0.2)
    circle.set_color(1, 0, 0)
    move = rendering.Transform(translation=(0.5, 0.5))
    circle.add_attr(move)
    viewer.add_geom(circle)
    viewer.draw_line((-1, -1), (1, -1), color=(0, 0, 1), linewidth=3)
    frame = viewer.render(return_rgb_array=True)
    assert frame.shape == (100, 100, 3)
    assert frame[25, 75].tolist() == [255, 0, 0]  # (0.5, 0.5): column 75, row 25 (y up)
    assert frame[50, 50].tolist() == [255, 255, 255]
    assert frame[99, 50].tolist() == [0, 0, 255]  # the one-time line at the bottom edge
    move.set_translation(-0.5, -0.5)
    again = viewer.render(return_rgb_array=True)
    assert again[75, 25].tolist() == [255, 0, 0] and again[99, 50].tolist() != [0, 0, 255]
    assert viewer.render() is None  # human mode, as the original
    capsule = rendering.make_capsule(1.0, 0.2)
    capsule.set_color(0, 1, 0)
    viewer.add_geom(capsule)
    assert (viewer.render(return_rgb_array=True)[:, :, 1] > 200).sum() > 0
    viewer.close()


def test_interactive_policy_moves_the_agent_with_arrow_keys(monkeypatch):
    from maddpg_tf2 import render
    from multiagent.policy import InteractivePolicy, Policy
    from multiagent.rendering import key

    monkeypatch.setattr(render, 'has_display', lambda: False)
    env = _env('simple', shared_viewer=False)
    with pytest.raises(ValueError, match='env.render'):
        InteractivePolicy(env, 0)
    env.render()  # creates the viewers, as bin/interactive.py does
    policy = InteractivePolicy(env, 0)
    assert isinstance(policy, Policy)
    env.reset()
    np.testing.assert_array_equal(policy.action(None), np.eye(5)[0])  # no key: noop
    env.viewers[0].window.on_key_press(key.RIGHT, 0)
    start = env.world.agents[0].state.p_pos.copy()
    env.step([policy.action(None)])
    # the original's mapping: RIGHT fills entry 2 (-x) of the one-hot layout
    assert env.world.agents[0].state.p_pos[0] < start[0]
    env.viewers[0].window.on_key_release(key.RIGHT, 0)
    np.testing.assert_array_equal(policy.action(None), np.eye(5)[0])


# ----------------------------------------------------------------------------- World hooks

def _world_like(cls, name='simple_spread', seed=0):
    """The scenario's world, re-classed as a user's World subclass would be built by its scenario."""
    import multiagent.scenarios as scenarios

    np.random.seed(seed)
    scenario = scenarios.load(name + '.py').Scenario()
    base = scenario.make_world()
    scenario.reset_world(base)
    world = cls()
    world.__dict__.update(base.__dict__)
    for i, agent in enumerate(world.agents):
        agent.action.u = np.array([1.0, -2.0]) * (i + 1)
        agent.action.c = np.zeros(world.dim_c)
    return world


def test_world_hooks_overrides_take_effect():
    from multiagent.core import World

    class WindWorld(World):
        def apply_environment_force(self, p_force):
            p_force = super().apply_environment_force(p_force)
            for i, entity in enumerate(self.entities):
                if entity.movable:
                    p_force[i] = (0.0 if p_force[i] is None else p_force[i]) + np.array([3.0, 0.0])
            return p_force

    class SameWorld(World):  # hooks overridden without changing them: the original's sequence
        def integrate_state(self, p_force):
            super().integrate_state(p_force)

    class GhostWorld(World):  # no contact forces at all
        def get_collision_force(self, entity_a, entity_b):
            return [None, None]

    plain, windy, same, ghost = (_world_like(c) for c in (World, WindWorld, SameWorld, GhostWorld))
    # put two agents on top of each other so that contacts matter
    for w in (plain, same, ghost):
        w.agents[1].state.p_pos = w.agents[0].state.p_pos + 0.01
    for w in (plain, windy, same, ghost):
        w.step()
    for a, b in zip(plain.agents, same.agents):
        np.testing.assert_allclose(a.state.p_vel, b.state.p_vel, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.state.p_pos, b.state.p_pos, rtol=0, atol=1e-12)
    fresh = _world_like(World)
    fresh.step()
    for a, b in zip(fresh.agents, windy.agents):
        # wind 3 along x for one dt on a unit mass, nothing else changed
        np.testing.assert_allclose(b.state.p_vel - a.state.p_vel, [0.3, 0.0], atol=1e-12)
    pushed = plain.agents[0].state.p_vel - ghost.agents[0].state.p_vel
    assert np.abs(pushed).max() > 1.0  # the overlapping pair pushed apart in the plain world only
    assert np.all([np.isfinite(a.state.p_pos).all() for a in ghost.agents])


# ----------------------------------------------------------------------------- the maddpg package

def _args(**kw):
    base = dict(lr=1e-2, gamma=0.95, batch_size=8, num_units=16, max_episode_len=5)
    base.update(kw)
    return types.SimpleNamespace(**base)


def test_trainer_surface_and_user_models():
    import tensorflow as tf
    import tf_keras

    import maddpg.common.layers as layers
    from maddpg.trainer.maddpg import MADDPGAgentTrainer
    from make_env import make_env

    def deep_model(input, num_outputs, scope, reuse=False, num_units=64, rnn_cell=None):
        with tf.compat.v1.variable_scope(scope, reuse=reuse):
            out = input
            for _ in range(3):  # a body the built-in MLP would not be: 3 hidden layers of 7
                out = layers.fully_connected(out, num_outputs=7, activation_fn=tf.nn.tanh)
            return layers.fully_connected(out, num_outputs=num_outputs, activation_fn=None)

    def keras_model(input_dim, num_outputs, num_units):
        return tf_keras.Sequential([tf_keras.Input((input_dim,)), tf_keras.layers.Dense(11, 'relu'),
                                    tf_keras.layers.Dense(num_outputs)])

    env = make_env('simple_speaker_listener')
    obs_shape_n = [s.shape for s in env.observation_space]
    np.random.seed(0)
    trainers = [MADDPGAgentTrainer('agent_0', deep_model, obs_shape_n, env.action_space, 0, _args()),
                MADDPGAgentTrainer('agent_1', keras_model, obs_shape_n, env.action_space, 1, _args())]
    actor = trainers[0].nets.actor
    assert list(actor.store)[6:8] == ['p_func/fully_connected_3/weights', 'p_func/fully_connected_3/biases']
    assert actor.store['p_func/fully_connected_1/weights'].shape == (7, 7)
    assert [v.shape[-1] for v in trainers[1].nets.critic.trainable_variables][:1] == [11]

    obs_n = env.reset()
    batch = [np.stack([o] * 4) for o in obs_n]
    act_n = [t.act(o) for t, o in zip(trainers, batch)]
    assert act_n[0].shape == (4, 3) and act_n[1].shape == (4, 5)
    np.testing.assert_allclose(act_n[1].sum(axis=1), 1.0, atol=1e-5)
    assert trainers[0].p_debug['p_values'](batch[0]).shape == (4, 3)
    assert trainers[1].p_debug['target_act'](batch[1]).shape == (4, 5)
    q = trainers[0].q_debug['q_values'](*(batch + act_n))
    assert q.shape == (4,)
    before = [v.numpy() for v in trainers[0].nets.critic.variables_in_order]
    loss = trainers[0].q_train(*(batch + act_n + [np.full(4, 3.0)]))
    assert isinstance(loss, float) and loss == pytest.approx(np.mean((q - 3.0) ** 2), rel=1e-5)
    assert any((a != v.numpy()).any() for a, v in zip(before, trainers[0].nets.critic.variables_in_order))
    assert isinstance(trainers[0].p_train(*(batch + act_n)), float)
    target = [v.numpy() for v in trainers[0].nets.target_actor.variables_in_order]
    online = [v.numpy() for v in trainers[0].nets.actor.variables_in_order]
    trainers[0].p_update()
    for t, o, v in zip(target, online, trainers[0].nets.target_actor.variables_in_order):
        np.testing.assert_allclose(v.numpy(), 0.99 * t + 0.01 * o, rtol=1e-5, atol=1e-7)
    trainers[0].q_update()

    # weights assigned after construction act at once
    last_w, last_b = list(actor.store.values())[-2:]
    last_w.assign(tf.zeros_like(last_w))
    last_b.assign([0.0, 0.0, 60.0])
    assert trainers[0].action(obs_n[0])[2] > 0.99

    for t in range(3):
        trainers[0].experience(obs_n[0], act_n[0][0], 1.0, obs_n[0], False, False)
    assert len(trainers[0].replay_buffer._storage) == 3 and trainers[0].replay_buffer._next_idx == 3
    stored_obs, stored_act, rew, _, done = trainers[0].replay_buffer._storage[-1]
    np.testing.assert_allclose(stored_obs, obs_n[0], rtol=1e-6)
    assert (rew, done) == (1.0, 0.0)

    def broken(input, num_outputs, scope, reuse=False, num_units=64, rnn_cell=None):
        return tf_keras.layers.Dense(num_outputs)(input)  # makes new variables on every call
    with pytest.raises(TypeError, match='maddpg.common.layers'):
        MADDPGAgentTrainer('agent_x', broken, obs_shape_n, env.action_space, 0, _args())


def test_save_state_load_state_round_trip_and_original_names(tmp_path):
    import tensorflow as tf

    import maddpg.common.tf_util as U
    import maddpg_tf2
    from maddpg.trainer.maddpg import MADDPGAgentTrainer
    from maddpg_tf2.errors import UserError
    from make_env import make_env

    env = make_env('simple')
    obs_shape_n = [s.shape for s in env.observation_space]
    with U.single_threaded_session():
        trainer = MADDPGAgentTrainer('agent_0', None, obs_shape_n, env.action_space, 0, _args(num_units=64))
        U.initialize()
        prefix = str(tmp_path / 'policy') + '/'
        saver = U.Saver()
        U.save_state(prefix, saver=saver)
        names = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
        assert 'agent_0/p_func/fully_connected/weights' in names
        assert 'agent_0/agent_0/q_func/fully_connected_2/biases/Adam_1' in names and 'agent_0_1/beta1_power' in names
        obs = env.reset()[0][None]
        saved_params = trainer.p_debug['p_values'](obs)
        for v in trainer.nets.actor.variables_in_order:
            v.assign(v + 1.0)
        assert not np.allclose(trainer.p_debug['p_values'](obs), saved_params)
        U.load_state(prefix)
        np.testing.assert_allclose(trainer.p_debug['p_values'](obs), saved_params, rtol=1e-6)
        trainer.nets.actor.kernels[-1].assign(tf.zeros_like(trainer.nets.actor.kernels[-1]))
        trainer.nets.actor.biases[-1].assign([0.0, 0.0, 0.0, 60.0, 0.0])
        assert trainer.action(obs[0])[3] > 0.99  # acting follows assigned weights at once
        U.load_state(prefix)
        # the original's file layout: maddpg-train and maddpg_tf2.load read it as an original checkpoint
        assert (tmp_path / 'policy' / '.index').exists() and (tmp_path / 'policy' / 'checkpoint').exists()
        agents = maddpg_tf2.load(prefix, scenario='simple')
        np.testing.assert_allclose(agents.logits([obs])[0], saved_params, rtol=1e-5)
        with pytest.raises(UserError, match='no checkpoint'):
            U.load_state(str(tmp_path / 'nothing') + '/')


def test_tf_util_and_distributions():
    import tensorflow as tf

    import maddpg.common.tf_util as U
    from maddpg.common.distributions import (DiagGaussianPdType, SoftCategoricalPdType,
                                             SoftMultiCategoricalPdType, make_pdtype)
    from make_env import make_env

    x = tf.constant([[1.0, 2.0], [3.0, 6.0]])
    assert U.sum(x, axis=1).numpy().tolist() == [3.0, 9.0] and U.max(x).numpy() == 6.0
    np.testing.assert_allclose(U.std(x, axis=0).numpy(), [1.0, 2.0])
    a = U.BatchInput((2,), name='a').get()
    b = U.BatchInput((2,), name='b').get()
    f = U.function([a, b], 3 * a + 2 * b, givens={b.ref(): np.zeros((1, 2))})
    np.testing.assert_allclose(f(np.ones((1, 2))), [[3.0, 3.0]])
    np.testing.assert_allclose(f(np.ones((1, 2)), b=np.ones((1, 2))), [[5.0, 5.0]])
    with pytest.raises(NotImplementedError, match='update'):
        U.function([a], a, updates=[a])

    env = make_env('simple_world_comm')
    assert isinstance(make_pdtype(env.action_space[1]), SoftCategoricalPdType)
    leader = make_pdtype(env.action_space[0])
    assert isinstance(leader, SoftMultiCategoricalPdType) and leader.param_shape() == [9]
    pd = leader.pdfromflat(tf.zeros([4, 9]))
    sample = pd.sample().numpy()
    np.testing.assert_allclose(sample[:, :5].sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(sample[:, 5:].sum(axis=1), 1.0, atol=1e-5)
    gauss = DiagGaussianPdType(2).pdfromflat(tf.constant([[0.0, 0.0, 0.0, 0.0]]))
    assert gauss.logp(tf.zeros([1, 2])).numpy()[0] == pytest.approx(-np.log(2 * np.pi))
    assert leader.sample_placeholder([None]).shape.as_list() == [None, 9]


@pytest.mark.slow  # default suite time; the TF1 launcher test trains, saves and restores such a script by default
def test_train_script_derived_from_the_original_trains_saves_and_restores(tmp_path):
    """tests/data/train_original.py: the original train.py with only the three lines changed that the
    guide lists (docs/compat.md)."""
    script = DATA / 'train_original.py'
    common = ['--scenario', 'simple_adversary', '--num-adversaries', '1', '--max-episode-len', '5',
              '--batch-size', '4', '--num-units', '16', '--save-dir', str(tmp_path / 'policy') + '/',
              '--plots-dir', str(tmp_path) + '/', '--benchmark-dir', str(tmp_path) + '/', '--exp-name', 'orig']
    train = subprocess.run([sys.executable, str(script), '--num-episodes', '25', '--save-rate', '5', *common],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr[-3000:]
    lines = [l for l in train.stdout.splitlines() if l.startswith('steps:')]
    assert len(lines) == 5 and 'agent episode reward' in lines[0]
    assert train.stdout.rstrip().endswith('...Finished total of 26 episodes.')
    assert len(fileio.read_data_pickle(tmp_path / 'orig_rewards.pkl')) == 5
    assert (tmp_path / 'policy' / '.index').exists()
    bench = subprocess.run([sys.executable, str(script), '--benchmark', '--benchmark-iters', '10', *common],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert bench.returncode == 0, bench.stderr[-3000:]
    assert 'Loading previous state...' in bench.stdout and 'Finished benchmarking' in bench.stdout
    episodes = fileio.read_data_pickle(tmp_path / 'orig.pkl')
    # the original's layout and quirk: the first episode misses its last step (later ones start with it)
    assert [len(episode[0]) for episode in episodes] == [4, 5, 5]


def test_environments_need_no_tensorflow():
    """Users who train with another framework import the environments without TensorFlow."""
    probe = ("import sys, numpy as np; from make_env import make_env; import multiagent.policy, "
             "multiagent.rendering; env = make_env('simple_tag'); env.seed(0); env.reset(); "
             "env.step([np.eye(5)[0]] * env.n); env.render('rgb_array'); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == 'False'


def test_load_state_reads_a_checkpoint_written_by_the_original(data_dir):
    """The original's checkpoint into trainers built with the derived script's mlp_model."""
    import importlib.util

    import maddpg.common.tf_util as U
    from maddpg.trainer.maddpg import MADDPGAgentTrainer
    from make_env import make_env

    spec = importlib.util.spec_from_file_location('train_original', DATA / 'train_original.py')
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    env = make_env('simple')
    with U.single_threaded_session():
        trainer = MADDPGAgentTrainer('agent_0', script.mlp_model, [(4,)], env.action_space, 0,
                                     _args(num_units=64))
        U.load_state(str(data_dir / 'original_checkpoint_simple') + '/')
    ref = np.load(data_dir / 'original_checkpoint_simple' / 'reference_outputs.npz')
    act = np.load(data_dir / 'traces' / 'simple_seed0_soft.npz')['act_0']
    np.testing.assert_allclose(trainer.p_debug['p_values'](ref['obs_0']), ref['logits_0'], atol=1e-5)
    np.testing.assert_allclose(trainer.q_debug['q_values'](ref['obs_0'], act), ref['q_0'], atol=1e-5)
    np.testing.assert_allclose(trainer.q_debug['target_q_values'](ref['obs_0'], act), ref['target_q_0'], atol=1e-5)
    assert 0 < float(trainer.nets.actor_opt.beta1_power.numpy()) < 1e-20  # Adam state came along


def test_model_function_is_called_a_fixed_number_of_times_and_acting_is_unchanged():
    """Acting runs a compiled forward pass: the user's model function is called while building and
    tracing only, however many steps are taken, and the actions are the eager model's."""
    import tensorflow as tf

    import maddpg.common.layers as layers
    from maddpg.trainer.maddpg import MADDPGAgentTrainer
    from make_env import make_env

    calls = []

    def mlp_model(input, num_outputs, scope, reuse=False, num_units=64, rnn_cell=None):
        calls.append(scope)
        with tf.compat.v1.variable_scope(scope, reuse=reuse):
            out = layers.fully_connected(input, num_outputs=num_units, activation_fn=tf.nn.relu)
            return layers.fully_connected(out, num_outputs=num_outputs, activation_fn=None)

    def run(steps):
        calls.clear()
        env = make_env('simple_spread')
        np.random.seed(3)
        tf.random.set_seed(3)
        obs_shape_n = [s.shape for s in env.observation_space]
        trainers = [MADDPGAgentTrainer('agent_%d' % i, mlp_model, obs_shape_n, env.action_space, i,
                                       _args(batch_size=4, max_episode_len=5)) for i in range(env.n)]
        obs_n = env.reset()
        for t in range(1, steps + 1):
            act_n = [agent.action(obs) for agent, obs in zip(trainers, obs_n)]
            new_obs_n, rew_n, done_n, _ = env.step(act_n)
            for i, agent in enumerate(trainers):
                agent.experience(obs_n[i], act_n[i], rew_n[i], new_obs_n[i], done_n[i], False)
            obs_n = env.reset() if t % 5 == 0 else new_obs_n
            for agent in trainers:
                agent.preupdate()
            for agent in trainers:
                agent.update(trainers, t)
        return len(calls), trainers, obs_n

    short, _, _ = run(100)   # one update round (t = 100)
    long, trainers, obs_n = run(300)  # three update rounds, three times the actions
    assert short == long
    assert long <= 12 * 3  # per trainer: 4 builds, acting traces, the update's traces
    # actions equal those of the model function called eagerly on the same weights (the old path)
    agent = trainers[1]
    for seed in range(3):
        np.random.seed(seed)
        compiled = agent.action(obs_n[1])
        np.random.seed(seed)
        eager = agent.nets.dist.sample_np(np.asarray(agent.nets.actor(tf.constant(obs_n[1][None], tf.float32))),
                                          np.random)[0]
        np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=1e-7)
    def debug(batch):
        agent.p_debug['target_act'](np.stack([obs_n[1]] * batch))
        agent.q_debug['q_values'](*([np.stack([o] * batch) for o in obs_n] + [np.zeros((batch, 5))] * 3))

    debug(2)
    before = len(calls)
    debug(9)
    debug(1)
    assert len(calls) == before  # each forward is traced once, for every batch size
