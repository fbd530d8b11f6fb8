"""Overestimation of the critics, measured as the MATD3 paper measures it: the critic's estimate
Q_i(s, a) against the discounted return actually collected from (s, a) by the current policies.

    python3 benchmarks/overestimation.py [--rules maddpg matd3 mmmaddpg] [--seeds 0 1] [--episodes 3000]
                                         [--scenario simple_spread] [--out /tmp/overestimation]

Each (rule, seed) trains with `maddpg-train` (this tree: PYTHONPATH decides) for --episodes episodes
at the original's settings except 16 parallel worlds, then: 50 worlds run the trained policies
(sampled actions, as when training) for 25 + 200 steps without a reset; for every state s_t of the
first 25 steps (the states an episode visits) and every agent i, the estimate is Q_i(s_t, a_t) of
the agent's critic (Q1 for MATD3) and the truth sum_{k<200} gamma^k r_i(t + k). The critics
bootstrap through the time limit (done = 0 there), so they estimate this untruncated return.
Prints one row per run and writes OUT/overestimation.json.

The same measure during training is `maddpg-train --real-q-log` (maddpg_tf2/real_q.py; the family
sweep benchmarks/family/spread.yaml uses it). This script measures once, after training, from a
fresh episode start. Both differ from the authors' `--real-q-log` (JohannesAck/MATD3implementation, train.py
`calculate_real_q_value`): they restore 200 stored world states, step them once with the stored
action and evaluate Q at the *new* observation with the *old* action; here Q is evaluated at the
state the action was taken in.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys

import numpy as np


def train(rule, seed, episodes, scenario, folder):
    cmd = [sys.executable, "-m", "maddpg_tf2.cli", "--scenario", scenario, "--good-policy", rule,
           "--adv-policy", rule, "--num-episodes", str(episodes), "--num-envs", "16", "--seed", str(seed),
           "--quiet", "--exp-name", "run", "--save-dir", os.path.join(folder, "save"),
           "--plots-dir", os.path.join(folder, "plots"), "--overwrite"]
    subprocess.run(cmd, check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "plots", "run_rewards.pkl"), "rb") as f:
        return pickle.load(f)


def measure(save_dir, scenario, gamma=0.95, worlds=50, start_steps=25, horizon=200, seed=0):
    import maddpg_tf2
    from maddpg_tf2.envs.make import make_env

    agents = maddpg_tf2.load(save_dir, scenario=scenario, seed=seed)
    env = make_env(scenario, num_envs=worlds, seed=seed)
    rng = np.random.default_rng(seed)
    obs_n = env.reset()
    steps = start_steps + horizon
    obs_t, act_t, rew_t = [], [], []
    for _ in range(steps):
        act_n = agents.policy.act([np.asarray(o, np.float32) for o in obs_n], rng)
        obs_t.append(obs_n)
        act_t.append(act_n)
        obs_n, rew, _, _ = env.step(act_n)
        rew_t.append(np.asarray(rew, np.float64))  # [E, N]
    rew_t = np.stack(rew_t)  # [T, E, N]
    discounts = gamma ** np.arange(horizon)
    q_est, truth = [], []
    for t in range(start_steps):
        q_n = agents.learner.q_values(obs_t[t], act_t[t])  # per agent [E]
        q_est.append(np.stack([q.numpy() for q in q_n], axis=-1))  # [E, N]
        truth.append(np.einsum("k,ken->en", discounts, rew_t[t:t + horizon]))
    q_est, truth = np.stack(q_est), np.stack(truth)
    return {"q_mean": float(q_est.mean()), "return_mean": float(truth.mean()),
            "bias_mean": float((q_est - truth).mean()),
            "bias_abs_mean": float(np.abs(q_est - truth).mean())}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rules", nargs="+", default=["maddpg", "matd3", "mmmaddpg"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--episodes", type=int, default=3000)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--out", default="/tmp/overestimation")
    a = p.parse_args()
    rows = []
    for seed in a.seeds:  # interleaved: rules side by side per seed
        for rule in a.rules:
            folder = os.path.join(a.out, f"{rule}_s{seed}")
            curve = train(rule, seed, a.episodes, a.scenario, folder)
            m = measure(os.path.join(folder, "save"), a.scenario, seed=seed)
            row = {"rule": rule, "seed": seed, "final_reward": float(np.mean(curve[-2:])), **m}
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(os.path.join(a.out, "overestimation.json"), "w") as f:
        json.dump({"args": vars(a), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
