"""Cost of issue 15's guards in the training loop, measured side by side with what they guard.

Per update round: safety.check_metrics on the metrics the train step returns and check_weights on
the actor weights it returns (numpy-side), against the round itself (replay sample + train step +
policy refresh). Per environment step: safety.check_rewards against the step of E worlds.
Interleaved repeats; prints medians and the ratio.

    python benchmarks/safety_checks.py [--scenario simple_spread] [--rounds 200] [--repeats 5]
"""
import argparse
import time

import numpy as np

from maddpg_tf2.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()

from maddpg_tf2.config import Config  # noqa: E402
from maddpg_tf2.envs.make import make_env  # noqa: E402
from maddpg_tf2.loop import build_agents  # noqa: E402
from maddpg_tf2.replay import Replay  # noqa: E402
from maddpg_tf2.safety import check_metrics, check_rewards, check_weights  # noqa: E402
from maddpg_tf2.tf_threads import configure_tf_threads  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="simple_spread")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    c = Config(scenario=a.scenario, seed=0)
    configure_tf_threads(c.intra_op_threads, c.inter_op_threads)
    env = make_env(c.scenario, num_envs=c.num_envs, seed=0)
    learner, policy = build_agents(c, env)
    rng = np.random.default_rng(0)
    replay = Replay(c.buffer_size, learner.obs_dims, learner.act_dims, num_envs=c.num_envs,
                    episode_len=c.max_episode_len)
    obs_n = env.reset()
    for t in range(c.batch_size * c.max_episode_len // c.num_envs + 1):
        act_n = policy.act(obs_n, rng)
        new_obs_n, rew, done, _ = env.step(act_n)
        replay.add(obs_n, act_n, rew, new_obs_n, done)
        obs_n = env.reset() if (t + 1) % c.max_episode_len == 0 else new_obs_n
    learner.train_step(replay.sample(c.batch_size, rng))  # trace once

    def rounds(check):
        t0 = time.perf_counter()
        for r in range(a.rounds):
            metrics = learner.train_step(replay.sample(c.batch_size, rng))
            if check:
                check_metrics(metrics, r)
            policy.refresh_after_step(learner)
            if check:
                check_weights(policy.weights_n, "actor", r)
        return (time.perf_counter() - t0) / a.rounds

    def checks_only():
        metrics = learner.train_step(replay.sample(c.batch_size, rng))
        policy.refresh_after_step(learner)
        t0 = time.perf_counter()
        for r in range(a.rounds):
            check_metrics(metrics, r)
            check_weights(policy.weights_n, "actor", r)
        return (time.perf_counter() - t0) / a.rounds

    def steps(check):
        obs = env.reset()
        acts = policy.act(obs, rng)
        t0 = time.perf_counter()
        for s in range(a.steps):
            _, rew, _, _ = env.step(acts)
            if check:
                check_rewards(rew, s)
        return (time.perf_counter() - t0) / a.steps

    def reward_check_only():
        rew = env.step(policy.act(env.reset(), rng))[1]
        t0 = time.perf_counter()
        for s in range(a.steps):
            check_rewards(rew, s)
        return (time.perf_counter() - t0) / a.steps

    res = {k: [] for k in ("round", "round+checks", "checks", "step", "step+check", "reward check")}
    for _ in range(a.repeats):  # interleaved
        res["round"].append(rounds(False))
        res["round+checks"].append(rounds(True))
        res["checks"].append(checks_only())
        res["step"].append(steps(False))
        res["step+check"].append(steps(True))
        res["reward check"].append(reward_check_only())
    med = {k: float(np.median(v)) for k, v in res.items()}
    for k, v in res.items():
        print(f"{k:13s} median {med[k] * 1e6:9.1f} us  range {min(v) * 1e6:.1f}-{max(v) * 1e6:.1f} us")
    print(f"per-round checks / round: {med['checks'] / med['round']:.2%}; "
          f"reward check / step of {c.num_envs} worlds: {med['reward check'] / med['step']:.2%}")


if __name__ == "__main__":
    main()
