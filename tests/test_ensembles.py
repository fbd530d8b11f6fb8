"""Policy ensembles (paper section 4.3, maddpg_tf2/ensembles.py): the draw (uniform, per episode, per
world), replay partitions, the ensemble update, and K = 3 through the command line: train,
checkpoint, restore, benchmark, maddpg_tf2.load."""
import json
import pathlib
import re
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from maddpg_tf2.config import Config
from maddpg_tf2.distributions import SoftCategorical
from maddpg_tf2.ensembles import EnsemblePolicy, PartitionSampler
from maddpg_tf2.learner import Learner
from maddpg_tf2.replay import Replay

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "10",
        "--num-envs", "4", "--quiet"]


def _policy(K=3, n=2, member=None):
    """Sub-policy k of every agent puts its logit mass on action k (zero kernels, bias 20 at k)."""
    rng = np.random.default_rng(0)
    weights_nk = []
    for _ in range(n):
        row = []
        for k in range(K):
            w = [rng.normal(size=(3, 4)), np.zeros(4), rng.normal(size=(4, 4)), np.zeros(4),
                 np.zeros((4, K)), 20.0 * np.eye(K)[k]]
            row.append(w)
        weights_nk.append(row)
    return EnsemblePolicy([SoftCategorical(K)] * n, weights_nk, member)


# ----------------------------------------------------------------------------- the draw

def test_draw_is_uniform_per_agent_per_world_and_redrawn_only_at_episode_start():
    policy, rng = _policy(K=3, n=2), np.random.default_rng(1)
    E = 8
    policy.new_episodes(np.ones(E, bool), rng)
    counts = np.zeros((2, 3))
    same_world_pairs = []
    for _ in range(1500):
        ended = rng.random(E) < 0.5
        before = policy.draw.copy()
        policy.new_episodes(ended, rng)
        np.testing.assert_array_equal(policy.draw[~ended], before[~ended])  # running episodes keep theirs
        for i in range(2):
            counts[i] += np.bincount(policy.draw[ended, i], minlength=3)
        same_world_pairs.append(policy.draw[0, 0] == policy.draw[1, 0])
    # chi-square with 2 degrees of freedom per agent; 13.8 is the 0.1% point
    expected = counts.sum(axis=1, keepdims=True) / 3
    chi2 = ((counts - expected) ** 2 / expected).sum(axis=1)
    assert (chi2 < 13.8).all(), (counts, chi2)
    assert counts.sum() > 5000
    # worlds draw independently: two worlds agree about 1/3 of the time, not always
    assert 0.25 < np.mean(same_world_pairs) < 0.42


def test_acting_uses_each_worlds_drawn_sub_policy_and_member_fixes_it():
    policy, rng = _policy(K=3, n=2), np.random.default_rng(2)
    policy.new_episodes(np.ones(64, bool), rng)
    obs_n = [rng.normal(size=(64, 3)).astype(np.float32) for _ in range(2)]
    act_n = policy.act(obs_n, rng, deterministic=True)
    for i in range(2):
        np.testing.assert_array_equal(act_n[i].argmax(axis=1), policy.draw[:, i])
    assert len(set(policy.draw[:, 0])) == 3
    fixed = _policy(K=3, n=2, member=2)
    state = rng.bit_generator.state
    fixed.new_episodes(np.ones(5, bool), rng)
    assert rng.bit_generator.state == state  # nothing drawn
    assert (fixed.draw == 2).all() and (fixed.act([o[:5] for o in obs_n], rng, True)[1].argmax(axis=1) == 2).all()


def test_training_loop_tags_every_episode_with_its_draw(tmp_path):
    """The loop's wiring: every transition of an episode carries the same draw, worlds differ."""
    from maddpg_tf2.loop import Trainer

    config = Config(scenario="simple", num_episodes=120, max_episode_len=5, num_envs=4, ensemble_size=3,
                    learning_starts=10 ** 9, save_rate=1000, quiet=True, seed=3,
                    save_dir=str(tmp_path / "s"), plots_dir=str(tmp_path / "p"))
    trainer = Trainer(config)
    trainer.train()
    r = trainer.replay
    episodes = []
    for e in range(r.num_envs):
        rows = int(r._filled[e]) // 6 * 6
        tags = r.tags_at(np.full(rows, e), np.arange(rows)).reshape(-1, 6, 1)[:, :5, 0]  # 5 steps + terminal row
        assert (tags == tags[:, :1]).all()  # constant within an episode
        episodes.append(tags[:, 0])
    draws = np.concatenate(episodes)
    assert len(draws) >= 100 and set(draws) == {0, 1, 2}  # redrawn across episodes
    assert not all((episodes[0][:20] == ep[:20]).all() for ep in episodes[1:])  # worlds draw on their own


# ----------------------------------------------------------------------------- partitions

def _tagged_replay(tags_per_row):
    """One world; each transition's observation encodes its tags (obs = [tag_0, tag_1])."""
    r = Replay(1000, [2, 2], [1, 1], num_envs=1, episode_len=10 ** 6, num_tags=2)
    for t in tags_per_row:
        obs = [np.array([t], np.float32).reshape(1, 2)] * 2
        r.add(obs, [np.zeros((1, 1))] * 2, np.zeros((1, 2)), obs, np.zeros((1, 2)), tags=np.array([t]))
    return r


def test_partition_batches_come_from_their_own_partition_only():
    rng = np.random.default_rng(0)
    tags = rng.integers(0, 3, (60, 2))
    tags[:, 0] = np.where(np.arange(60) == 7, 2, tags[:, 0] % 2)  # agent 0's partition 2: one transition
    sampler = PartitionSampler(_tagged_replay(tags), 3)
    batch = sampler.sample(16, rng)
    assert batch["sub_obs"].shape == (2, 3, 16, 4)
    for i in range(2):
        for k in range(3):
            np.testing.assert_array_equal(batch["sub_obs"][i, k][:, i], k)  # tag_i == k in every row
    np.testing.assert_array_equal(batch["tag"], batch["obs"][..., :2])  # the critic batch carries its tags
    assert batch["tag"].shape == (2, 16, 2)
    empty = PartitionSampler(_tagged_replay(np.zeros((10, 2), int)), 3)
    assert not empty.ready() and empty.sample(4, rng) is None  # updates wait for every partition


# ----------------------------------------------------------------------------- the update

def _ensemble_learner():
    config = Config(seed=0, num_units=8, ensemble_size=2, target_init="copy")
    learner = Learner(config, [3, 3], [gym.spaces.Discrete(5), gym.spaces.Discrete(5)])
    net = learner.agents[0].target_critic  # reads agent 1's action entry 4 (column 3 + 3 + 5 + 4) only
    for kern, bias in zip(net.kernels, net.biases):
        kern.assign(tf.zeros_like(kern))
        bias.assign(tf.zeros_like(bias))
    for layer, (a, b) in enumerate(((15, 0), (0, 0), (0, 0))):
        net.kernels[layer][a, b].assign(1.0)
    for k, favourite in enumerate((0, 4)):  # agent 1's target sub-policy 0 picks action 0, sub-policy 1 action 4
        target = learner.ensemble.members[1][k].target_actor
        for kern in target.kernels:
            kern.assign(tf.zeros_like(kern))
        target.biases[-1].assign(50.0 * np.eye(5, dtype=np.float32)[favourite])
    return learner


def _ensemble_batch(seed, b=64):
    rng = np.random.default_rng(seed)
    return {"obs": rng.normal(size=(2, b, 6)), "act": np.eye(5)[rng.integers(0, 5, (2, b, 2))].reshape(2, b, 10),
            "next_obs": rng.normal(size=(2, b, 6)), "rew": np.zeros((2, b, 2)), "done": np.zeros((2, b, 2)),
            "tag": rng.integers(0, 2, (2, b, 2)),
            "sub_obs": rng.normal(size=(2, 2, b, 6)), "sub_act": rng.normal(size=(2, 2, b, 10))}


def test_critic_target_follows_the_acting_sub_policy_and_each_sub_policy_its_partition():
    a, b = _ensemble_learner(), _ensemble_learner()
    batch_a = _ensemble_batch(0)
    batch_b = dict(batch_a, sub_obs=batch_a["sub_obs"].copy())
    batch_b["sub_obs"][:, 1] += 1.0  # only sub-policy 1's partition batch differs
    metrics = a.train_step(batch_a)
    b.train_step(batch_b)
    # agent 1's action entry 4 is ~1 exactly in the rows where its sub-policy 1 acted
    assert float(metrics["q/next_target_mean_0"]) == pytest.approx(batch_a["tag"][0, :, 1].mean(), abs=1e-6)
    assert {"ensemble/loss_actor_0_0", "ensemble/loss_actor_0_1", "loss/actor_0"} <= set(metrics)
    same = lambda x, y: all(np.array_equal(u.numpy(), v.numpy()) for u, v in zip(x.variables, y.variables))
    # agent 0 (updated first): only sub-policy 1 saw the changed partition batch; the critic learns
    # from the whole replay batch. (Agent 1 then differs throughout: its critic target reads agent
    # 0's moved target sub-policy 1.)
    assert same(a.ensemble.members[0][0].actor, b.ensemble.members[0][0].actor)
    assert not same(a.ensemble.members[0][1].actor, b.ensemble.members[0][1].actor)
    assert same(a.agents[0].critic, b.agents[0].critic)
    # the acting policy receives all N * K actors after the round
    assert len(a.last_actor_weights) == 4


# ----------------------------------------------------------------------------- end to end

def _cli(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "experiments" / "train.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # default suite time; the ensemble's update, checkpoint and benchmark pieces are checked in process by default
def test_ensemble_of_three_trains_checkpoints_restores_benchmarks_and_loads(tmp_path, capsys, monkeypatch):
    from maddpg_tf2.cli import main

    out = ["--save-dir", tmp_path / "s", "--plots-dir", tmp_path / "p", "--benchmark-dir", tmp_path / "b",
           "--exp-name", "ens"]
    task = ["--scenario", "simple_push", "--num-adversaries", "1", "--ensemble-size", "3"]
    r = _cli(*task, "--num-episodes", 60, "--seed", 1, "--infer-policies", "--save-replay", *TINY, *out, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    metrics = (tmp_path / "p" / "ens_metrics.csv").read_text()
    for name in ("ensemble/loss_actor_0_2", "infer/loglik_0_1", "infer/kl_1_0", "loss/critic_1"):
        assert re.search(rf"^\d+,{re.escape(name)},", metrics, re.M), name
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    assert meta["ensemble_size"] == 3 and meta["infer_policies"] is True
    names = {n for n, _ in tf.train.list_variables(str(tmp_path / "s"))}
    assert any(n.startswith("agent_1_sub_2/actor/") for n in names)
    assert any(n.startswith("infer_0_1/") for n in names)

    monkeypatch.chdir(tmp_path)
    run = lambda *a: (main([str(x) for x in a]), capsys.readouterr())
    # 10 more episodes (no update round falls in them: the restore itself is what is checked here)
    rc, cap = run(*task, "--num-episodes", 70, "--restore", "--infer-policies", "--save-replay", *TINY, *out)
    assert rc == 0 and ", episodes: 70," in cap.out and "...Finished total of 71 episodes." in cap.out, cap.err
    for member in ([], ["--ensemble-member", 1]):
        rc, cap = run(*task, "--benchmark", "--benchmark-iters", 100, *member, *TINY, *out)
        assert rc == 0 and "Summary:" in cap.out, cap.err
    # issue 18: K is read from the checkpoint; --ensemble-member alone is checked against it
    rc, cap = run("--scenario", "simple_push", "--num-adversaries", "1", "--benchmark", "--benchmark-iters", 50,
                  "--ensemble-member", 2, *TINY, *out)
    assert rc == 0 and "Summary:" in cap.out, cap.err
    rc, cap = run("--scenario", "simple_push", "--num-adversaries", "1", "--benchmark", "--ensemble-member", 3,
                  *TINY, *out)
    assert rc == 2 and cap.err.strip().splitlines() == [
        "maddpg-train: error: --ensemble-member must lie in 0..2 (--ensemble-size 3, as the checkpoint records "
        "it), got 3"], cap.err
    rc, cap = run("--scenario", "simple_push", "--num-adversaries", "1", "--benchmark", "--ensemble-size", 1,
                  *TINY, *out)  # a size given explicitly is checked against the checkpoint's
    assert rc == 2 and "pass --ensemble-size 3" in cap.err

    import maddpg_tf2
    agents = maddpg_tf2.load(str(tmp_path / "s"), scenario="simple_push", num_adversaries=1, member=2)
    obs_n = [np.random.default_rng(0).normal(size=(4, d)).astype(np.float32) for d in agents.learner.obs_dims]
    expected = [m[2].actor(o).numpy() for m, o in zip(agents.learner.ensemble.members, obs_n)]
    for got, want in zip(agents.logits(obs_n), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    drawn = maddpg_tf2.load(str(tmp_path / "s"), scenario="simple_push", num_adversaries=1, seed=0)
    seen = set()
    for _ in range(30):
        drawn.new_episode()
        seen.update(drawn.members)
    assert seen == {0, 1, 2}


@pytest.mark.parametrize("args, message", [
    (["--ensemble-size", "0"], "--ensemble-size must be a whole number in 1..1024"),
    (["--ensemble-size", "2", "--ensemble-member", "2", "--benchmark"], "--ensemble-member must lie in 0..1"),
    (["--ensemble-size", "2", "--ensemble-member", "1"], "--ensemble-member picks the sub-policy that acts in --display or --benchmark"),
    (["--infer-entropy", "-1"], "--infer-entropy must be a number in [0, 100]"),
])
def test_bad_extension_flags_are_one_clear_line(args, message, capsys, tmp_path, monkeypatch):
    from maddpg_tf2.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_defaults_take_none_of_the_extension_paths():
    """K = 1 and no inferred policies: the plain learner, sampler and policy (the seeded
    identical-pickles test of test_cli then covers today's behaviour bit for bit)."""
    from maddpg_tf2.ensembles import make_sampler
    from maddpg_tf2.inference import with_latest
    from maddpg_tf2.policy import Policy

    config = Config(num_units=8)
    learner = Learner(config, [3], [gym.spaces.Discrete(5)])
    assert learner.ensemble is None and learner.inference is None and learner.extra_trackables() == {}
    replay = Replay(100, [3], [5])
    assert replay._tag is None and "tag" not in replay.state_dict()
    assert with_latest(config, replay, make_sampler(config, replay)) == replay.sample
    assert type(Policy.from_learner(learner)) is Policy and len(learner.actor_weights()) == 1
