"""--parameter-sharing team: the members' one-hot index, one set of networks per team, the pooled
update against numbers computed by hand, and training, seeded resume, benchmark and display through
the command line on tiny settings."""
import pickle

import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.envs.make import make_env, make_env_for
from maddpg_tf2.learner import Learner


def _env(scenario, n_envs=2, seed=0, **kwargs):
    c = Config(scenario=scenario, parameter_sharing="team", **kwargs)
    return make_env_for(c, num_envs=n_envs, seed=seed), c


def test_members_observe_their_one_hot_index():
    env, _ = _env("simple_spread", env_kwargs={"N": 3}, seed=4)
    raw = make_env("simple_spread", num_envs=2, seed=4, env_kwargs={"N": 3})
    assert env.teams == [[0, 1, 2]] and [s.shape[0] for s in env.observation_space_n] == [21] * 3
    for obs_n, raw_n in [(env.reset(), raw.reset()), (env.step([np.eye(5)[[1, 2]]] * 3)[0],
                                                     raw.step([np.eye(5)[[1, 2]]] * 3)[0])]:
        for i in range(3):
            np.testing.assert_array_equal(obs_n[i][:, :18], raw_n[i])
            np.testing.assert_array_equal(obs_n[i][:, 18:], [[1.0 * (k == i) for k in range(3)]] * 2)
    # simple_tag: the three adversaries are a team, the good agent (other spaces) is alone and unchanged
    env, _ = _env("simple_tag")
    assert env.teams == [[0, 1, 2], [3]]
    assert [s.shape[0] for s in env.observation_space_n] == [19, 19, 19, 14]
    obs = env.reset()
    assert obs[1][0, -3:].tolist() == [0.0, 1.0, 0.0] and obs[3].shape == (2, 14)
    # simple_world_comm: the speaking leader alone, the other adversaries, the good agents
    env, _ = _env("simple_world_comm", env_kwargs={"num_good": 3})
    assert env.teams == [[0], [1, 2, 3], [4, 5, 6]]
    # ddpg good agents follow another rule than maddpg adversaries of the same spaces: other teams
    env, _ = _env("simple_spread", env_kwargs={"N": 4}, num_adversaries=2, good_policy="ddpg")
    assert env.teams == [[0, 1], [2, 3]]


def _random_batch(learner, B, rng):
    N, D, K = learner.n, sum(learner.obs_dims), sum(learner.act_dims)
    f = lambda *s: rng.uniform(-1, 1, size=s).astype(np.float32)
    return {"obs": f(N, B, D), "act": f(N, B, K), "next_obs": f(N, B, D), "rew": f(N, B, N),
            "done": (rng.uniform(size=(N, B, N)) < 0.2).astype(np.float32)}


def test_one_set_of_variables_per_team_and_pooled_losses_by_hand():
    # continuous actions with a deterministic actor: target actions and the actor's action are exact
    env, c = _env("simple_spread", env_kwargs={"N": 3}, continuous_actions=True, num_units=8, seed=0)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    learner = Learner(c, obs_dims, env.action_space_n, teams=env.teams)
    a = learner.agents
    assert a[0] is a[1] is a[2]
    assert len({id(v) for v in learner.trainable_variables}) == 4 * 6  # actor, critic and their targets
    batch = _random_batch(learner, 4, np.random.default_rng(1))
    critic, target_critic, target_actor = (lambda x, net=net: net(tf.constant(x, tf.float32)).numpy()
                                           for net in (a[0].critic, a[0].target_critic, a[0].target_actor))
    d = 21
    squash = lambda p: a[0].dist.sample(tf.constant(p)).numpy()
    q_losses = []
    for m in range(3):
        obs, act, nxt = batch["obs"][m], batch["act"][m], batch["next_obs"][m]
        index = np.repeat(np.eye(3)[m][None], 4, axis=0)
        next_act = np.concatenate([squash(target_actor(nxt[:, j * d:(j + 1) * d])) for j in range(3)], axis=1)
        y = batch["rew"][m][:, m] + 0.95 * (1 - batch["done"][m][:, m]) * target_critic(
            np.concatenate([nxt, next_act, index], axis=1))[:, 0]
        q = critic(np.concatenate([obs, act, index], axis=1))[:, 0]
        q_losses.append(np.mean((q - y) ** 2))
    metrics = learner.train_step(batch)
    for m in range(3):
        assert metrics[f"loss/critic_{m}"].numpy() == pytest.approx(q_losses[m], rel=1e-4)
    # every agent's actor weights are the same tensors' values
    w = learner.actor_weights()
    for j in (1, 2):
        for x, y in zip(w[0], w[j]):
            np.testing.assert_array_equal(x, y)


def test_pooled_actor_loss_by_hand():
    """The actor loss of member m at the post-critic-step weights: -mean Q(own action replaced)
    + 1e-3 mean(params^2), with the critic frozen (critic learning rate 0, no polyak: tau tiny)."""
    env, c = _env("simple_spread", env_kwargs={"N": 2}, continuous_actions=True, num_units=8, seed=2,
                  critic_lr=1e-12)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    learner = Learner(c, obs_dims, env.action_space_n, teams=env.teams)
    me = learner.agents[0]
    batch = _random_batch(learner, 3, np.random.default_rng(5))
    d, k = obs_dims[0], 2
    expected = []
    for m in range(2):
        obs, act = batch["obs"][m], batch["act"][m].copy()
        params = me.actor(tf.constant(obs[:, m * d:(m + 1) * d])).numpy()
        act[:, m * k:(m + 1) * k] = me.dist.sample(tf.constant(params)).numpy()
        q = me.critic(tf.constant(np.concatenate([obs, act, np.repeat(np.eye(2)[m][None], 3, axis=0)], axis=1), tf.float32))
        expected.append(-np.mean(q.numpy()) + 1e-3 * np.mean(params ** 2))
    metrics = learner.train_step(batch)
    for m in range(2):
        assert metrics[f"loss/actor_{m}"].numpy() == pytest.approx(expected[m], rel=1e-3, abs=1e-6)


def test_a_team_of_one_is_the_original_update():
    """`simple` has one agent: with sharing on, its (team of one's) round gives the same weights as
    the original's sequential update from the same seeds."""
    c = Config(scenario="simple", num_units=8, seed=3)
    env = make_env("simple")
    dims = [int(s.shape[0]) for s in env.observation_space_n]
    plain = Learner(c, dims, env.action_space_n)
    shared = Learner(c.replace(parameter_sharing="team"), dims, env.action_space_n)
    assert shared.teams == [[0]]
    batch = _random_batch(plain, 16, np.random.default_rng(0))
    plain.train_step(batch), shared.train_step(batch)
    for x, y in zip(plain.trainable_variables, shared.trainable_variables):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- the command line

RUN = ["--scenario", "simple_spread", "--env-kwargs", '{"N": 4}', "--parameter-sharing", "team",
       "--max-episode-len", "5", "--batch-size", "16", "--buffer-size", "2000", "--save-rate", "10",
       "--num-envs", "5", "--num-units", "16", "--seed", "3", "--quiet", "--save-replay"]


def _out(tmp, name, save="save"):
    return ["--save-dir", tmp / save, "--plots-dir", tmp / "plots", "--benchmark-dir", tmp / "bench",
            "--exp-name", name]


def test_cli_trains_resumes_bit_for_bit_benchmarks_and_displays(main, tmp_path):
    rc, _, err = main("--num-episodes", 40, *RUN, *_out(tmp_path, "full", "full"))
    assert rc == 0, err
    rc, _, err = main("--num-episodes", 20, *RUN, *_out(tmp_path, "part"))
    assert rc == 0, err
    rc, _, err = main("--num-episodes", 40, "--restore", *RUN, *_out(tmp_path, "part"))
    assert rc == 0, err
    names = [n for n, _ in tf.train.list_variables(tf.train.latest_checkpoint(str(tmp_path / "full")))]
    assert any(n.startswith("agent_0/") for n in names) and not any(n.startswith("agent_1/") for n in names)
    load = lambda name: pickle.loads((tmp_path / "plots" / name).read_bytes())
    assert load("part_rewards.pkl") == load("full_rewards.pkl") and len(load("full_rewards.pkl")) == 4
    assert load("part_agrewards.pkl") == load("full_agrewards.pkl")
    rc, out, err = main("--benchmark", "--benchmark-iters", 20, *RUN, *_out(tmp_path, "b"))
    assert rc == 0 and "Benchmark data" in out, err
    rc, out, err = main("--display", "--display-file", tmp_path / "x.gif", "--display-episodes", 1, *RUN,
                        *_out(tmp_path, "d"))
    assert rc == 0 and (tmp_path / "x.gif").stat().st_size > 0, err
    # the checkpoint says it shares: loading it without sharing is one line naming the flag
    rc, _, err = main("--display", *[a for a in RUN if a not in ("--parameter-sharing", "team")],
                      *_out(tmp_path, "e"))
    lines = [l for l in err.splitlines() if l.strip()]
    assert rc == 2 and len(lines) == 1 and "pass --parameter-sharing team" in lines[0], err
    # the Python API loads it with the index appended by its own env
    import maddpg_tf2
    agents = maddpg_tf2.load(str(tmp_path / "full"))
    assert agents.learner.teams == [[0, 1, 2, 3]] and agents.learner.obs_dims == [4 + 8 + 6 + 6 + 4] * 4


@pytest.mark.parametrize("flag", [["--agent-updates", "simultaneous"], ["--ensemble-size", "2"],
                                  ["--explorers", "1"], ["--good-policy", "matd3"], ["--good-policy", "mmmaddpg"]])
def test_combinations_that_cannot_share_are_one_line(main, tmp_path, flag):
    rc, _, err = main("--num-episodes", 1, *RUN, *flag, *_out(tmp_path, "x"))
    lines = [l for l in err.splitlines() if l.strip()]
    named = f"--good-policy/--adv-policy {flag[1]}" if flag[0] == "--good-policy" else flag[0]
    assert rc == 2 and len(lines) == 1 and f"--parameter-sharing team cannot be combined with {named}" in lines[0]


def test_yaml_config_and_sweep_spec_carry_counts_and_sharing(tmp_path):
    from maddpg_tf2.cli import parse_config
    from maddpg_tf2.sweep import spec

    path = tmp_path / "run.yaml"
    path.write_text("scenario: simple_spread\nenv-kwargs: {N: 6}\nparameter-sharing: team\n")
    c = parse_config(["--config", str(path)])
    assert c.env_kwargs == {"N": 6} and c.parameter_sharing == "team"
    path = tmp_path / "sweep.yaml"
    path.write_text("base: {scenario: simple_spread, env-kwargs: {N: 6}, max-episode-len: 5, batch-size: 32, "
                    "buffer-size: 2000, num-episodes: 20}\ngrid: {parameter-sharing: [none, team]}\nseeds: [0]\n"
                    "metric: final_reward\n")
    trials = spec.load(str(path)).trials
    assert [t.values["parameter_sharing"] for t in trials] == ["none", "team"]
    assert all(t.values["env_kwargs"] == {"N": 6} for t in trials)


def test_a_ddpg_team_and_a_maddpg_team_train_side_by_side():
    env, c = _env("simple_spread", env_kwargs={"N": 4}, num_adversaries=2, good_policy="ddpg", num_units=8)
    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    learner = Learner(c, obs_dims, env.action_space_n, teams=env.teams)
    a = learner.agents
    assert a[0] is a[1] and a[2] is a[3] and a[1] is not a[2]
    assert a[0].critic_in_dim == sum(obs_dims) + 4 * 5 + 2  # joint observations and actions, the index
    assert a[2].critic_in_dim == obs_dims[2] + 5  # ddpg: its own observation (index included) and action
    before = [v.numpy().copy() for v in a[2].critic.trainable_variables]
    metrics = learner.train_step(_random_batch(learner, 8, np.random.default_rng(2)))
    assert sorted(k for k in metrics if k.startswith("loss/critic")) == [f"loss/critic_{i}" for i in range(4)]
    assert all(np.isfinite(v.numpy()) for v in metrics.values())
    assert any(not np.array_equal(x, y.numpy()) for x, y in zip(before, a[2].critic.trainable_variables))
