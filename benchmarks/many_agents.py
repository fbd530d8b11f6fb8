"""The cost of a round as N grows (issue 26): simple_spread with N agents, three ways of updating
(the original's sequential order, `--agent-updates simultaneous`, `--parameter-sharing team`).

Per N, one child process times, interleaved, an update round of each variant on one fixed random
batch of the scenario's shapes (batch 1024, 64 units: the defaults), wall and CPU; then the
collection of episodes (env step, acting for every agent, replay add: what a training run does
between rounds) with and without the one-hot index. The time of 1,000 episodes is composed from
those: 1,000 x (collection per episode) + 250 rounds (25,000 transitions, one round per 100), which
is what a run of 1,000 episodes after learning starts costs. Peak memory: one child per (N, variant)
that builds the env, the replay for 1,000 episodes (25,000 transitions) and the learner and runs
three rounds; ru_maxrss, TensorFlow included. The default replay (10^6 transitions) is given from
its exact size, as it alone exceeds this machine's memory at N = 24.

    flock /tmp/heavy.lock python3 benchmarks/many_agents.py --ns 3 6 12 24 --json benchmarks/many_agents.json
    python3 benchmarks/many_agents.py --plot benchmarks/many_agents.json
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT]

VARIANTS = {"sequential": {}, "simultaneous": {"agent_updates": "simultaneous"},
            "team sharing": {"parameter_sharing": "team"}}


def _setup(n, variant, batch_size, buffer_size=None):
    from maddpg_tf2.quiet_import import import_tensorflow_quietly
    from maddpg_tf2.tf_threads import configure_tf_threads

    configure_tf_threads(0, 0)
    import_tensorflow_quietly()
    from maddpg_tf2.agents import build_agents
    from maddpg_tf2.config import Config
    from maddpg_tf2.envs.make import make_env_for

    kw = dict(scenario="simple_spread", env_kwargs={"N": n}, seed=0, batch_size=batch_size, **VARIANTS[variant])
    if buffer_size:
        kw["buffer_size"] = buffer_size
    config = Config(**kw)
    env = make_env_for(config, num_envs=1, seed=0)
    learner, policy = build_agents(config, env)
    return config, env, learner, policy


def _batch(learner, b, rng):
    n, D, K = learner.n, sum(learner.obs_dims), sum(learner.act_dims)
    return {"obs": rng.standard_normal((n, b, D), np.float32), "act": rng.random((n, b, K), np.float32),
            "next_obs": rng.standard_normal((n, b, D), np.float32),
            "rew": rng.standard_normal((n, b, n), np.float32), "done": np.zeros((n, b, n), np.float32)}


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def collect_episodes(env, policy, replay, rng, episodes: int) -> None:
    """Step one world for `episodes` episodes of 25 steps, acting and storing as training does."""
    for _ in range(episodes):
        obs = env.reset()
        for _ in range(25):
            act = policy.act(obs, rng)
            nxt, rew, done, _ = env.step(act)
            replay.add(obs, act, rew, nxt, done)
            obs = nxt


def worker_times(n, repeats, batch_size, episodes):
    """Round times of every variant (interleaved) and collection per episode, for N = n."""
    from maddpg_tf2.replay import Replay

    setups = {v: _setup(n, v, batch_size) for v in VARIANTS}
    rng = np.random.default_rng(0)
    batches = {v: _batch(s[2], batch_size, rng) for v, s in setups.items()}
    for v, s in setups.items():
        s[2].train_step(batches[v])  # trace outside the timings
    rounds = {v: [] for v in VARIANTS}
    for _ in range(repeats):
        for v, s in setups.items():
            rounds[v].append(_timed(lambda: s[2].train_step(batches[v])))
    collect = {}
    for v in ("sequential", "team sharing"):
        config, env, learner, policy = setups[v]
        replay = Replay(episodes * 25 + 100, learner.obs_dims, learner.act_dims, num_envs=1, episode_len=25)

        w, c = _timed(lambda: collect_episodes(env, policy, replay, rng, episodes))
        collect[v] = [w / episodes, c / episodes]
    return {"rounds": {v: [list(t) for t in ts] for v, ts in rounds.items()}, "collect_per_episode": collect,
            "obs_dims": {v: s[2].obs_dims[0] for v, s in setups.items()},
            "critic_inputs": {v: int(s[2].agents[0].critic_in_dim) for v, s in setups.items()},
            "parameters": {v: int(sum(np.prod(x.shape) for x in s[2].trainable_variables)) for v, s in setups.items()}}


def worker_memory(n, variant, batch_size):
    from maddpg_tf2.replay import Replay, replay_nbytes

    config, env, learner, policy = _setup(n, variant, batch_size)
    replay = Replay(25_000, learner.obs_dims, learner.act_dims, num_envs=1, episode_len=25)
    rng = np.random.default_rng(0)
    collect_episodes(env, policy, replay, rng, batch_size // 25 + 2)  # enough to sample a batch, by the real path
    for _ in range(3):
        learner.train_step(replay.sample(batch_size, rng, num_batches=learner.n))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    default_replay = replay_nbytes(10**6, learner.obs_dims, learner.act_dims, 1, 25, 0)
    return {"peak_rss_bytes": int(peak), "replay_25k_bytes": int(replay.nbytes),
            "default_replay_bytes": int(default_replay)}


def _child(args, timeout):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "compat")]))
    r = subprocess.run([sys.executable, os.path.abspath(__file__)] + [str(a) for a in args], env=env,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def summarise(results):
    """Median (and range) ms per round, s per 1,000 episodes, GiB peak, per N and variant."""
    rows = []
    for n, res in sorted(results["by_n"].items(), key=lambda kv: int(kv[0])):
        t = res.get("times", {})
        for v in VARIANTS:
            if "rounds" not in t:
                continue
            walls = [w for w, _ in t["rounds"][v]]
            cpus = [c for _, c in t["rounds"][v]]
            per_ep = t["collect_per_episode"]["team sharing" if v == "team sharing" else "sequential"][0]
            mem = res.get("memory", {}).get(v, {})
            rows.append({"N": int(n), "variant": v, "round_ms_median": 1e3 * float(np.median(walls)),
                         "round_ms_range": [1e3 * min(walls), 1e3 * max(walls)],
                         "round_cpu_ms_median": 1e3 * float(np.median(cpus)),
                         "episodes_1000_s": 1000 * per_ep + 250 * float(np.median(walls)),
                         "collect_ms_per_episode": 1e3 * per_ep,
                         "peak_rss_gib": mem.get("peak_rss_bytes", float("nan")) / 2**30,
                         "default_replay_gib": mem.get("default_replay_bytes", float("nan")) / 2**30,
                         "critic_input": t["critic_inputs"][v], "parameters": t["parameters"][v]})
    return rows


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summarise(results)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for v in VARIANTS:
        r = [x for x in rows if x["variant"] == v]
        ns = [x["N"] for x in r]
        lo = [x["round_ms_range"][0] for x in r]
        hi = [x["round_ms_range"][1] for x in r]
        axes[0].errorbar(ns, [x["round_ms_median"] for x in r],
                         yerr=[np.subtract([x["round_ms_median"] for x in r], lo),
                               np.subtract(hi, [x["round_ms_median"] for x in r])], marker="o", label=v, capsize=3)
        axes[1].plot(ns, [x["episodes_1000_s"] for x in r], marker="o", label=v)
        axes[2].plot(ns, [x["peak_rss_gib"] for x in r], marker="o", label=v)
    if rows:
        n0 = min(x["N"] for x in rows)
        base = [x for x in rows if x["N"] == n0 and x["variant"] == "sequential"][0]["round_ms_median"]
        ns = sorted({x["N"] for x in rows})
        for p, style in ((2, ":"), (3, "--")):
            axes[0].plot(ns, [base * (n / n0) ** p for n in ns], "k" + style, lw=0.8, label=f"~N^{p}")
    for ax, title in zip(axes, ("ms per update round (batch 1024)", "s per 1,000 episodes (composed)",
                                "peak RSS, GiB (replay of 25,000)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ns = sorted({x["N"] for x in rows})
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()
        ax.set_xlabel("N agents (simple_spread)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ns", type=int, nargs="+", default=[3, 6, 12, 24])
    p.add_argument("--repeats", type=int, default=5, help="round timings per variant, interleaved")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--episodes", type=int, default=40, help="episodes of collection timed per N")
    p.add_argument("--json", default=None)
    p.add_argument("--plot", default=None, help="only draw the figure of an existing JSON (next to it, .png)")
    p.add_argument("--worker", nargs="+", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        kind, n = a.worker[0], int(a.worker[1])
        out = worker_times(n, a.repeats, a.batch_size, a.episodes) if kind == "times" else \
            worker_memory(n, " ".join(a.worker[2:]), a.batch_size)
        print(json.dumps(out))
        return
    if a.plot:
        with open(a.plot) as f:
            results = json.load(f)
        plot(results, os.path.splitext(a.plot)[0] + ".png")
        return
    results = {"command": "python3 benchmarks/many_agents.py " + " ".join(argv or sys.argv[1:]), "by_n": {}}
    for n in a.ns:
        res = results["by_n"][str(n)] = {}
        res["times"] = _child(["--worker", "times", n, "--repeats", a.repeats, "--batch-size", a.batch_size,
                               "--episodes", a.episodes], timeout=3600)
        res["memory"] = {v: _child(["--worker", "memory", n, *v.split(), "--batch-size", a.batch_size], 1800)
                         for v in VARIANTS}
        print(json.dumps({n: summarise({"by_n": {str(n): res}})}), flush=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=1)
    if a.json:
        plot(results, os.path.splitext(a.json)[0] + ".png")
    for row in summarise(results):
        print(row)


if __name__ == "__main__":
    main()
