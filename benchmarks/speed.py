"""Training speed, side by side in one run: maddpg_tf2's batched loop against a naive loop.

The naive loop is the original's structure rebuilt from this project's parts: one object-style
environment (multiagent.environment.MultiAgentEnv), one compiled TensorFlow call per agent per step
(batch 1) to act, one replay buffer per agent, and per-agent updates through the compat
MADDPGAgentTrainer. Both run the default hyperparameters (batch 1024, one update round per 100
transitions, 25-step episodes, updates from 25,600 stored transitions on).

Reported: episodes/s before and during updates, the update-round time (sample + train step), the
acting time, and the peak memory of a full 1e6-transition replay.

    python benchmarks/speed.py --scenario simple_spread --envs 1 16 64 --during-episodes 1500
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]

from maddpg_tf2.quiet_import import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
import tensorflow as tf  # noqa: E402

from maddpg_tf2.config import Config  # noqa: E402
from maddpg_tf2.loop import Trainer  # noqa: E402

WARM = 25_600  # transitions before the first update: batch_size * max_episode_len


class TimedTrainer(Trainer):
    """The real training loop, noting when the first update round happens."""

    first_update = None

    def _update(self, old_step, new_step):
        due = self.first_update is None and len(self.replay) >= self.config.min_replay_size and \
            new_step // self.config.update_every > old_step // self.config.update_every
        if due:
            self.warmup_end = (time.perf_counter(), self.progress.completed, time.process_time())
        super()._update(old_step, new_step)
        if due:  # "during" starts after the first round, which traces the train step once
            self.first_update = (time.perf_counter(), self.progress.completed, time.process_time())


def time_batched(scenario: str, num_envs: int, during_episodes: int, seed: int = 0, jit: bool = False,
                 batch_size: int = 1024, agent_updates: str = "sequential") -> dict:
    config = Config(scenario=scenario, num_envs=num_envs, seed=seed, quiet=True, save_rate=10 ** 9, jit_compile=jit,
                    agent_updates=agent_updates,
                    batch_size=batch_size, num_episodes=batch_size + during_episodes, save_dir="/tmp/maddpg_speed/ckpt",
                    plots_dir="/tmp/maddpg_speed/curves", exp_name="speed")
    trainer = TimedTrainer(config)
    trainer.logger.message = lambda text: None
    t0, c0 = time.perf_counter(), time.process_time()
    trainer._loop()
    t1, c1 = time.perf_counter(), time.process_time()
    t_warm, ep_warm, c_warm = trainer.warmup_end
    t_first, ep_first, c_first = trainer.first_update
    during = trainer.progress.completed - ep_first
    return {
        "loop": f"batched E={num_envs}" + (" XLA" if jit else "") + (f" B={batch_size}" if batch_size != 1024 else "")
                + ("" if agent_updates == "sequential" else f" {agent_updates}"),
        "before_updates_eps": ep_warm / (t_warm - t0),
        "first_round_s": t_first - t_warm,
        "during_updates_eps": during / (t1 - t_first),
        "before_updates_eps_cpu": ep_warm / (c_warm - c0),
        "during_updates_eps_cpu": during / (c1 - c_first),
        "update_rounds": int(trainer.progress.update_rounds),
    }


def time_naive(scenario: str, before_episodes: int, during_episodes: int) -> dict:
    """The original's loop shape: per-agent TF calls, one env, per-agent buffers and updates."""
    import multiagent.scenarios as scenarios
    from maddpg.trainer.maddpg import MADDPGAgentTrainer
    from multiagent.environment import MultiAgentEnv

    scen = scenarios.load(scenario + ".py").Scenario()
    world = scen.make_world()
    env = MultiAgentEnv(world, scen.reset_world, scen.reward, scen.observation)
    args = argparse.Namespace(lr=1e-2, gamma=0.95, batch_size=1024, num_units=64, max_episode_len=25)
    obs_shapes = [env.observation_space[i].shape for i in range(env.n)]
    trainers = [MADDPGAgentTrainer(f"agent_{i}", None, obs_shapes, env.action_space, i, args)
                for i in range(env.n)]
    acts = []
    for tr in trainers:
        nets, dist = tr.nets, tr.nets.dist
        acts.append(tf.function(lambda o, nets=nets, dist=dist: dist.sample(nets.actor(o))))

    def run(episodes):
        for _ in range(episodes):
            obs_n = env.reset()
            for _ in range(25):
                action_n = [f(tf.constant(o[None], tf.float32)).numpy()[0] for f, o in zip(acts, obs_n)]
                new_obs_n, rew_n, done_n, _ = env.step(action_n)
                for i, tr in enumerate(trainers):
                    tr.experience(obs_n[i], action_n[i], rew_n[i], new_obs_n[i], done_n[i], False)
                obs_n = new_obs_n
                run.step += 1
                for tr in trainers:
                    tr.preupdate()
                for tr in trainers:
                    tr.update(trainers, run.step)
    run.step = 0
    t0, c0 = time.perf_counter(), time.process_time()
    run(before_episodes)
    before = before_episodes / (time.perf_counter() - t0)
    before_cpu = before_episodes / (time.process_time() - c0)
    # Skip the rest of the warm-up: fill the buffers with copies so that updates start now.
    stored = before_episodes * 25
    while len(trainers[0].replay_buffer) < WARM:
        i = np.array([len(trainers[0].replay_buffer) % stored])
        for tr in trainers:
            obs, act, rew, obs_next, done = tr.replay_buffer.sample_index(i)
            tr.replay_buffer.add(obs[0], act[0], rew[0], obs_next[0], done[0])
    run.step = 0
    run(1)  # compile the update functions outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    run(during_episodes)
    during = during_episodes / (time.perf_counter() - t0)
    during_cpu = during_episodes / (time.process_time() - c0)
    return {"loop": "naive (per-agent, 1 env)", "before_updates_eps": before, "during_updates_eps": during,
            "before_updates_eps_cpu": before_cpu, "during_updates_eps_cpu": during_cpu}


def time_parts(scenario: str, num_envs: int, batch_size: int = 1024, agent_updates: str = "sequential",
               jit: bool = False) -> dict:
    """Update round (sample + compiled train step) and acting, from a trainer with a warm replay."""
    config = Config(scenario=scenario, num_envs=num_envs, seed=0, quiet=True, batch_size=batch_size,
                    agent_updates=agent_updates, jit_compile=jit)
    tr = Trainer(config)
    rng = np.random.default_rng(0)
    obs_n = tr.env.reset()
    for _ in range(config.min_replay_size // num_envs + 1):
        act_n = tr.policy.act(obs_n, rng)
        new_obs_n, rew, done, _ = tr.env.step(act_n)
        tr.replay.add(obs_n, act_n, rew, new_obs_n, done)
        obs_n = new_obs_n
    for _ in range(3):
        tr.learner.train_step(tr.replay.sample(config.batch_size, rng))
    reps = 30
    t0 = time.perf_counter()
    for _ in range(reps):
        batch = tr.replay.sample(config.batch_size, rng)
    t1 = time.perf_counter()
    for _ in range(reps):
        m = tr.learner.train_step(batch)
    float(next(iter(m.values())))
    t2 = time.perf_counter()
    for _ in range(reps):
        tr.policy.refresh_after_step(tr.learner)
    t3 = time.perf_counter()
    for _ in range(200):
        tr.policy.act(obs_n, rng)
    t4 = time.perf_counter()
    for _ in range(200):
        tr.env.step(act_n)
    t5 = time.perf_counter()
    return {"sample_ms": (t1 - t0) / reps * 1e3, "train_step_ms": (t2 - t1) / reps * 1e3,
            "policy_refresh_ms": (t3 - t2) / reps * 1e3, "act_ms": (t4 - t3) / 200 * 1e3,
            "env_step_ms": (t5 - t4) / 200 * 1e3, "num_envs": num_envs, "agent_updates": agent_updates,
            "xla": jit}


def replay_memory(scenario: str) -> dict:
    """Resident memory added by filling a full 1e6-transition replay of the scenario."""
    from maddpg_tf2.envs.make import make_env
    from maddpg_tf2.replay import Replay

    env = make_env(scenario, num_envs=250, seed=0)
    dims = [s.shape[0] for s in env.observation_space_n]
    act_dims = [sum(getattr(s, "nvec", [getattr(s, "n", 0)])) for s in env.action_space_n]
    rss0 = _rss_mib()
    rb = Replay(1_000_000, dims, act_dims, num_envs=250, episode_len=25)
    obs_n = env.reset()
    rng = np.random.default_rng(0)
    for t in range(4000):  # 1e6 transitions in 250 worlds
        act_n = [rng.random((250, k)) for k in act_dims]
        new_obs_n, rew, done, _ = env.step(act_n)
        rb.add(obs_n, act_n, rew, new_obs_n, done)
        obs_n = new_obs_n if (t + 1) % 25 else env.reset()
    return {"transitions": len(rb), "replay_nbytes_mib": rb.nbytes / 2 ** 20,
            "rss_added_mib": _rss_mib() - rss0, "peak_rss_mib": _peak_rss_mib()}


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_in_child(a, intra: int, inter: int) -> list:
    """The batched loops of this run again in a fresh process with other TensorFlow thread pools."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "child.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--scenario", a.scenario, "--skip-naive",
               "--batch-size", str(a.batch_size),
               "--during-episodes", str(a.during_episodes), "--threads", str(intra), str(inter),
               "--json", out, "--envs", *map(str, a.envs), "--agent-updates", *a.agent_updates] + \
            (["--xla"] if a.xla else [])
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            rows = json.load(f)["loops"]
    for r in rows:
        r["loop"] += f" threads {intra}/{inter}"
    return rows


def median_rows(runs: list) -> list:
    """One row per loop (first-seen order): the median of every figure over its repeats, and the
    during-updates range."""
    by_loop = {}
    for r in runs:
        by_loop.setdefault(r["loop"], []).append(r)
    rows = []
    for loop, rs in by_loop.items():
        row = {k: float(np.median([r[k] for r in rs])) for k, v in rs[0].items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
        during = [r["during_updates_eps"] for r in rs]
        row.update(loop=loop, repeats=len(rs), during_updates_eps_min=min(during),
                   during_updates_eps_max=max(during))
        rows.append(row)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="simple_spread")
    p.add_argument("--envs", type=int, nargs="+", default=[1, 16, 64])
    p.add_argument("--during-episodes", type=int, default=1500)
    p.add_argument("--naive-episodes", type=int, default=60)
    p.add_argument("--skip-naive", action="store_true")
    p.add_argument("--xla", action="store_true", help="also time the batched loops with --jit-compile")
    p.add_argument("--memory", action="store_true", help="also fill a full 1e6 replay and report memory")
    p.add_argument("--json", default=None, help="write all figures here")
    p.add_argument("--threads", type=int, nargs=2, metavar=("INTRA", "INTER"),
                   default=[Config.intra_op_threads, Config.inter_op_threads],
                   help="TensorFlow intra-op and inter-op threads for every loop (default: the trainer's)")
    p.add_argument("--also-threads", type=int, nargs=2, action="append", default=[], metavar=("INTRA", "INTER"),
                   help="also time the batched loops with these thread settings (in a child process, "
                        "since TensorFlow fixes its pools at start); repeatable")
    p.add_argument("--batch-size", type=int, default=1024,
                   help="batch of the batched loops (the naive loop keeps the original's 1024: pass --skip-naive)")
    p.add_argument("--agent-updates", nargs="+", default=["sequential"], choices=("sequential", "simultaneous"),
                   help="time the batched loops with each of these update orders (interleaved)")
    p.add_argument("--repeats", type=int, default=1,
                   help="time every loop this many times, interleaved, and report the medians (the host's "
                        "speed drifts over minutes; interleaving spreads that over all loops)")
    a = p.parse_args(argv)
    if a.batch_size != 1024 and not a.skip_naive:
        p.error("--batch-size other than 1024 needs --skip-naive (the naive loop is the original's, batch 1024)")
    from maddpg_tf2.tf_threads import configure_tf_threads
    if not configure_tf_threads(*a.threads):
        raise SystemExit("TensorFlow started before its threads could be set")
    runs = []
    for _ in range(a.repeats):
        if not a.skip_naive:
            runs.append(time_naive(a.scenario, a.naive_episodes, a.naive_episodes))
        for e in a.envs:
            for mode in a.agent_updates:
                runs.append(time_batched(a.scenario, e, a.during_episodes, batch_size=a.batch_size,
                                         agent_updates=mode))
                if a.xla:
                    runs.append(time_batched(a.scenario, e, a.during_episodes, jit=True, batch_size=a.batch_size,
                                             agent_updates=mode))
        for intra, inter in a.also_threads:
            runs.extend(time_in_child(a, intra, inter))
    rows = median_rows(runs)
    base = rows[0] if not a.skip_naive else None
    print(f"\n{a.scenario}, default hyperparameters, {os.cpu_count()} cores, TF {tf.__version__}, "
          f"TF threads intra {a.threads[0]} inter {a.threads[1]} unless a row says otherwise")
    gpus = tf.config.list_logical_devices("GPU")
    print(f"train step on {gpus[0].name} (TensorFlow places it there); acting, environments and replay in "
          f"numpy on the CPU" if gpus else "CPU only: no GPU visible to TensorFlow")
    print("episodes per wall second, and per CPU second of the process (immune to time the host")
    print("steals from this virtual machine, which varied between runs here)")
    print(f"{'loop':28s} {'before':>8s} {'during':>8s} {'x naive':>8s} {'x naive':>8s} {'before':>8s} {'during':>8s} {'x naive':>8s} {'x naive':>8s}")
    print(f"{'':28s} {'wall':>8s} {'wall':>8s} {'before':>8s} {'during':>8s} {'cpu':>8s} {'cpu':>8s} {'before':>8s} {'during':>8s}")
    for r in rows:
        ratio = lambda k: r[k] / base[k] if base else float("nan")
        print(f"{r['loop']:28s} {r['before_updates_eps']:8.1f} {r['during_updates_eps']:8.1f} "
              f"{ratio('before_updates_eps'):8.1f} {ratio('during_updates_eps'):8.1f} "
              f"{r['before_updates_eps_cpu']:8.1f} {r['during_updates_eps_cpu']:8.1f} "
              f"{ratio('before_updates_eps_cpu'):8.1f} {ratio('during_updates_eps_cpu'):8.1f}"
              f"   during {r['during_updates_eps_min']:.1f}-{r['during_updates_eps_max']:.1f} over {r['repeats']} run(s)")
    parts = [time_parts(a.scenario, e, a.batch_size, mode, jit) for e in a.envs for mode in a.agent_updates
             for jit in ((False, True) if a.xla else (False,))]
    print(f"\n{'E':>4s} {'updates':>13s} {'XLA':>4s} {'sample ms':>10s} {'train ms':>9s} {'refresh ms':>11s} "
          f"{'act ms':>8s} {'env ms':>8s}")
    for q in parts:
        print(f"{q['num_envs']:4d} {q['agent_updates']:>13s} {'yes' if q['xla'] else 'no':>4s} {q['sample_ms']:10.2f} "
              f"{q['train_step_ms']:9.2f} {q['policy_refresh_ms']:11.2f} {q['act_ms']:8.3f} {q['env_step_ms']:8.3f}")
    mem = replay_memory(a.scenario) if a.memory else None
    if mem:
        print(f"\nfull replay: {mem['transitions']} transitions, arrays {mem['replay_nbytes_mib']:.1f} MiB, "
              f"RSS added {mem['rss_added_mib']:.1f} MiB, peak RSS {mem['peak_rss_mib']:.1f} MiB")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"loops": rows, "runs": runs, "parts": parts, "memory": mem}, f, indent=1)


if __name__ == "__main__":
    main()
