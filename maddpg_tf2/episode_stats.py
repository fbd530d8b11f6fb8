"""`--benchmark` for envs without a scenario's benchmark_data (PettingZoo and Gymnasium envs): the
loaded policy's episode returns and lengths, in the summary format of benchmark_metrics."""
from __future__ import annotations

import os

import numpy as np

from maddpg_tf2 import benchmark_metrics, fileio
from maddpg_tf2.envs.base import episode_over


def run_episodes(env, policy, rng, steps: int, max_episode_len: int, deterministic: bool = False) -> list:
    """Act for at least `steps` environment steps (finishing the running episodes' batch); a list of
    finished episodes, each {'returns': [per agent], 'length': int}."""
    E, n = env.num_envs, env.n
    obs_n = env.reset()
    ret = np.zeros((E, n))
    length = np.zeros(E, np.int64)
    episodes, done_steps = [], 0
    while True:
        obs_n, rew, done, _ = env.step(policy.act(obs_n, rng, deterministic=deterministic))
        done_steps += E
        ret += rew
        length += 1
        ended = episode_over(env, done, length >= max_episode_len)
        if ended.any():
            for e in np.flatnonzero(ended):
                episodes.append({"returns": [float(r) for r in ret[e]], "length": int(length[e])})
            ret[ended] = 0.0
            length[ended] = 0
            obs_n = env.reset(ended)
            if done_steps >= steps:
                return episodes


def summarise_returns(name: str, episodes: list, agent_names) -> dict:
    """benchmark_metrics' summary structure: return (summed over agents), per-agent returns, length."""
    metrics = {}

    def add(key, values, description):
        mean, se = benchmark_metrics.mean_stderr(values)
        metrics[key] = {"mean": mean, "stderr": se, "description": description}

    add("return", [sum(ep["returns"]) for ep in episodes], "episode return, summed over agents")
    if len(agent_names) > 1:
        for i, a in enumerate(agent_names):
            add(f"return/{a}", [ep["returns"][i] for ep in episodes], f"episode return of {a}")
    add("length", [ep["length"] for ep in episodes], "episode length in steps")
    return {"scenario": name, "episodes": len(episodes),
            "steps_per_episode": float(np.mean([ep["length"] for ep in episodes])) if episodes else 0.0,
            "metrics": metrics,
            "notes": ["this env has no benchmark_data: episode returns and lengths of the loaded policy "
                      "(sampled actions, as training acts)"]}


def benchmark_returns(config, env, policy, exp_name: str) -> int:
    """Writes <benchmark-dir>/<exp-name>.pkl (the episode list) and _summary.json, prints the table."""
    from maddpg_tf2 import perturb
    from maddpg_tf2.envs.make import env_stem

    rng = np.random.default_rng(config.seed)
    episodes = run_episodes(env, policy, rng, config.benchmark_iters, config.max_episode_len)
    print("Finished benchmarking, now saving...", flush=True)
    path = os.path.join(config.benchmark_dir, exp_name + ".pkl")
    fileio.write_pickle(path, episodes)
    summary = summarise_returns(env_stem(config.scenario), episodes, list(env.agent_names))
    summary = perturb.record(summary, config)
    summary_path = os.path.join(config.benchmark_dir, exp_name + "_summary.json")
    benchmark_metrics.write_summary_json(summary_path, summary)
    print(benchmark_metrics.format_table(summary), flush=True)
    print(f"Benchmark data: {path}\nSummary: {summary_path}", flush=True)
    from maddpg_tf2.tracking import track_outputs
    track_outputs(config, exp_name, "benchmark", summary=summary, files=[summary_path])
    env.close()
    return 0
