"""The object-style `multiagent` package reproduces the original MPE's recorded traces exactly.

Protocol of the recordings (reference/TRACES.md): the env is built as the original train.py
builds it (make_world already resets once), then np.random.seed(0), reset, 75 steps with the
recorded actions, and a reset after every 25th step but the last.
"""
import json

import numpy as np
import pytest

from multiagent import scenarios
from multiagent.environment import MultiAgentEnv

TOL = 1e-9
CASES = [(name, mode) for name in scenarios.BUILTIN_SCENARIOS for mode in ('onehot', 'soft')]


def _flatten(value):
    """An info value (numbers, arrays, tuples of them) as a flat list of floats."""
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    if isinstance(value, dict):
        return [x for item in value.values() for x in _flatten(item)]
    return [float(x) for x in np.ravel(value)]


def _as_json_like(value):
    """The same value as JSON would hold it: tuples and arrays as lists, numbers as floats."""
    if isinstance(value, dict):
        return {k: _as_json_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_json_like(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_as_json_like(v) for v in value.tolist()] if value.ndim else float(value)
    return float(value)


def _assert_same_structure(ours, ref, where):
    if isinstance(ref, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(ref), where
        for key in ref:
            _assert_same_structure(ours[key], ref[key], '%s[%r]' % (where, key))
    elif isinstance(ref, list):
        assert isinstance(ours, list) and len(ours) == len(ref), where
        for k, (a, b) in enumerate(zip(ours, ref)):
            _assert_same_structure(a, b, '%s[%d]' % (where, k))
    else:
        assert ours == pytest.approx(float(ref), abs=TOL), where


def _world_state(world):
    entities = world.entities
    p_pos = np.array([e.state.p_pos for e in entities])
    p_vel = np.array([e.state.p_vel for e in entities])
    comm = np.array([np.pad(np.asarray(a.state.c, dtype=np.float64), (0, max(world.dim_c, 1) - world.dim_c))
                     for a in world.agents])
    return p_pos, p_vel, comm


def _run_original_protocol(trace):
    """Replay a trace's actions through our env; returns everything the trace records."""
    meta = json.loads(str(trace['meta_json']))
    scenario = scenarios.load(meta['scenario'] + '.py').Scenario()
    world = scenario.make_world()
    info_callback = scenario.benchmark_data if meta['benchmark_info'] else None
    env = MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation,
                        info_callback=info_callback)
    n = meta['n_policy_agents']
    out = {key: [] for key in ('obs', 'rew', 'done', 'info', 'p_pos', 'p_vel', 'comm',
                               'reset_obs', 'reset_p_pos', 'reset_p_vel', 'reset_comm')}

    def record_reset(obs_n):
        out['reset_obs'].append(obs_n)
        for key, value in zip(('reset_p_pos', 'reset_p_vel', 'reset_comm'), _world_state(world)):
            out[key].append(value)

    np.random.seed(meta['seed'])
    record_reset(env.reset())
    for t in range(meta['T']):
        obs_n, rew_n, done_n, info_n = env.step([trace['act_%d' % i][t] for i in range(n)])
        out['obs'].append(obs_n)
        out['rew'].append(rew_n)
        out['done'].append(done_n)
        out['info'].append(info_n['n'])
        for key, value in zip(('p_pos', 'p_vel', 'comm'), _world_state(world)):
            out[key].append(value)
        if (t + 1) % meta['episode_len'] == 0 and t + 1 < meta['T']:
            record_reset(env.reset())
    return meta, out


@pytest.mark.parametrize('name,mode', CASES)
def test_trace_parity(name, mode, data_dir):
    trace = np.load(data_dir / 'traces' / ('%s_seed0_%s.npz' % (name, mode)))
    meta, out = _run_original_protocol(trace)
    n = meta['n_policy_agents']
    for i in range(n):
        obs_i = np.array([obs_n[i] for obs_n in out['obs']])
        assert obs_i.dtype == np.float64
        np.testing.assert_allclose(obs_i, trace['obs_%d' % i], rtol=0, atol=TOL, err_msg='obs_%d' % i)
        reset_obs_i = np.array([obs_n[i] for obs_n in out['reset_obs']])
        np.testing.assert_allclose(reset_obs_i, trace['reset_obs_%d' % i], rtol=0, atol=TOL)
    np.testing.assert_allclose(np.array(out['rew'], dtype=np.float64), trace['rew'], rtol=0, atol=TOL)
    np.testing.assert_array_equal(np.array(out['done']), trace['done'])
    for key in ('p_pos', 'p_vel', 'comm', 'reset_p_pos', 'reset_p_vel', 'reset_comm'):
        np.testing.assert_allclose(np.array(out[key]), trace[key], rtol=0, atol=TOL, err_msg=key)
    # benchmark infos: exact structure (as JSON) and the NaN-padded flat numbers
    _assert_same_structure(_as_json_like(out['info']), json.loads(str(trace['info_json'])), 'info')
    for t, info_t in enumerate(out['info']):
        for i, info in enumerate(info_t):
            flat = _flatten(info)
            assert len(flat) == trace['info_len'][t, i]
            np.testing.assert_allclose(flat, trace['info_pad'][t, i, :len(flat)], rtol=0, atol=TOL)
