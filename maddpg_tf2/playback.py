"""Running a saved policy without learning: `--benchmark` evaluation and `--display`.

Both load the checkpoint at --load-dir (or --save-dir), in this project's format or the original's.
"""
from __future__ import annotations

import os
import signal
import time

import numpy as np

from maddpg_tf2 import fileio
from maddpg_tf2.config import Config
from maddpg_tf2.envs.base import episode_over


def _load_agents(config: Config, env):
    from maddpg_tf2 import checkpoint
    from maddpg_tf2.agents import build_agents

    learner, policy = build_agents(config, env)
    # Weights (and optimizer state) only: counters and replay belong to training.
    checkpoint.restore(config.load_dir or config.save_dir, learner, scenario=config.scenario)
    policy.refresh(learner)
    return learner, policy


def _load_policy(config: Config, env):
    """The acting policy: --load-dir's agents, the adversaries from --adversaries-from when given, the
    evaluated team's opponents perturbed with --perturb-opponents (by the critics of that team's run)."""
    learner, policy = _load_agents(config, env)
    critics = {"good": learner, "adversaries": learner}
    if config.adversaries_from:
        from maddpg_tf2.teams import with_adversaries_from
        policy, critics["adversaries"] = with_adversaries_from(config, env, policy, _load_agents)
    if config.perturb_opponents:
        from maddpg_tf2.perturb import with_perturbed_opponents
        policy = with_perturbed_opponents(config, env, policy, critics[config.perturb_team])
    return policy


def with_env_episode_limit(config: Config, env) -> Config:
    """An env with an episode limit of its own (Gymnasium's max_episode_steps, PettingZoo's max_cycles)
    is evaluated over whole episodes of that length unless --max-episode-len says otherwise (left at
    its default of 25, the particle scenarios' length, it would cut e.g. Pendulum's 200 steps to 25)."""
    limit = getattr(env, "episode_limit", None)
    if not limit or config.max_episode_len != Config.max_episode_len or int(limit) == config.max_episode_len:
        return config
    from maddpg_tf2.notes import notice
    notice(f"episodes last the env's own limit of {int(limit)} steps (pass --max-episode-len N for another length)")
    return config.replace(max_episode_len=int(limit))


def benchmark(config: Config) -> int:
    """Run the loaded policy for benchmark_iters steps, collecting the scenario's benchmark_data.

    Writes <benchmark-dir>/<exp-name>.pkl in the original's structure (a list over episodes, each a
    one-element list holding the list over steps of the per-agent values) with whole episodes of
    max_episode_len steps each (the original shifted every episode by one step and dropped the last
    step; see docs/differences.md, "Benchmark files"), then a summary table on stdout and as JSON beside the pickle.
    """
    from maddpg_tf2 import benchmark_metrics, perturb
    from maddpg_tf2.envs.make import make_env_for
    from maddpg_tf2.agents import exp_name_for

    exp_name = exp_name_for(config)
    # Exactly ceil(benchmark_iters / max_episode_len) episodes: no more worlds than that, and the
    # surplus of the last round (worlds that finish together) is dropped in world order.
    wanted = max(1, -(-config.benchmark_iters // config.max_episode_len))
    num_envs = min(config.num_envs, wanted)
    env = make_env_for(config, num_envs=num_envs, seed=config.seed, benchmark=True)
    limited = with_env_episode_limit(config, env)
    if limited is not config:
        config = limited
        wanted = max(1, -(-config.benchmark_iters // config.max_episode_len))
        if min(config.num_envs, wanted) != num_envs:  # fewer, longer episodes: fewer worlds
            env.close()
            num_envs = min(config.num_envs, wanted)
            env = make_env_for(config, num_envs=num_envs, seed=config.seed, benchmark=True)
    policy = _load_policy(config, env)
    if not env.has_benchmark_data:
        from maddpg_tf2.episode_stats import benchmark_returns
        return benchmark_returns(config, env, policy, exp_name)
    rng = np.random.default_rng(config.seed)
    E = env.num_envs
    obs_n = env.reset()
    policy.new_episodes(np.ones(E, bool), rng)
    current = [[] for _ in range(E)]  # per world: the step infos of its running episode
    episodes = []
    steps = 0
    episode_step = np.zeros(E, np.int64)
    while True:
        act_n = policy.act(obs_n, rng, deterministic=config.benchmark_deterministic)
        obs_n, rew, done, info = env.step(act_n)
        steps += E
        episode_step += 1
        for e in range(E):
            current[e].append(info[e])
        ended = episode_over(env, done, episode_step >= config.max_episode_len)
        if ended.any():
            for e in np.flatnonzero(ended):
                episodes.append([current[e]])
                current[e] = []
            episode_step[ended] = 0
            obs_n = env.reset(ended)
            policy.new_episodes(ended, rng)
            if len(episodes) >= wanted:
                break
    episodes = episodes[:wanted]
    print("Finished benchmarking, now saving...", flush=True)
    path = os.path.join(config.benchmark_dir, exp_name + ".pkl")
    fileio.write_pickle(path, episodes)
    summary = benchmark_metrics.summarise(env_scenario_name(config.scenario), [ep[0] for ep in episodes],
                                          list(env.adversary_n))
    summary = perturb.record(summary, config)
    summary_path = os.path.join(config.benchmark_dir, exp_name + "_summary.json")
    benchmark_metrics.write_summary_json(summary_path, summary)
    print(benchmark_metrics.format_table(summary), flush=True)
    print(f"Benchmark data: {path} ({len(episodes)} episodes of up to {config.max_episode_len} steps)\n"
          f"Summary: {summary_path}", flush=True)
    from maddpg_tf2.tracking import track_outputs
    track_outputs(config, exp_name, "benchmark", summary=summary, files=[summary_path])
    return 0


def env_scenario_name(scenario: str) -> str:
    """Built-in name without .py, the file stem of a user's scenario, or an env's own name."""
    from maddpg_tf2.envs.make import env_stem
    return env_stem(scenario)


def display_path(config: Config) -> str:
    """Where display writes its animation when no window can be opened."""
    from maddpg_tf2.agents import exp_name_for

    return config.display_file or os.path.join(config.plots_dir, exp_name_for(config) + "_display.gif")


def display(config: Config) -> int:
    """Render the loaded policy: in a window when there is a display (forever unless
    --display-episodes, 0.1 s per step, as the original), else into an animation file.

    The animation is streamed (render.AnimationRecorder): each episode goes to the file as it ends,
    so memory stays flat however many episodes are recorded. Ctrl-C or SIGTERM stops at the next
    step and keeps the whole episodes recorded so far (exit 130 or 143); a second one stops at once
    and writes nothing.
    """
    import sys

    from maddpg_tf2 import render, stop_signals
    from maddpg_tf2.envs.make import make_env_for

    env = make_env_for(config, num_envs=1, seed=config.seed, render=True)
    config = with_env_episode_limit(config, env)
    policy = _load_policy(config, env)
    rng = np.random.default_rng(config.seed)
    window = render.Window() if render.has_display() and not config.display_file else None
    episodes = config.display_episodes or (None if window else 3)
    path = display_path(config)
    recorder, done_episodes, text = None, 0, "interrupted"
    stop = stop_signals.install_stop_handlers()
    try:
        if window is None:
            recorder = render.AnimationRecorder(path, fps=10)
        while (episodes is None or done_episodes < episodes) and not (window is not None and window.closed_by_user):
            obs_n = env.reset()
            policy.new_episodes(np.ones(1, bool), rng)
            for _ in range(config.max_episode_len):
                if stop["signal"] is not None:
                    break
                frame = env.render(0)
                if window is not None:
                    if not window.show(frame):
                        break  # the user closed the window: the display is over
                    time.sleep(0.1)
                else:
                    recorder.add(frame)
                obs_n, _, done, _ = env.step(policy.act(obs_n, rng))
                if episode_over(env, done, np.zeros(1, bool)).all():
                    break
            if stop["signal"] is not None:
                break  # the episode cut short is left out
            if recorder is not None:
                recorder.commit()
            done_episodes += 1
        if recorder is not None:
            what = f"{done_episodes} episode{'' if done_episodes == 1 else 's'} ({recorder.frames_written} frames) to {path}"
            wrote = recorder.finish()
            recorder = None
            if stop["signal"] is None:
                print(f"No display available: {'wrote ' + what if wrote else 'no episode recorded'}", flush=True)
                if wrote:
                    from maddpg_tf2.agents import exp_name_for
                    from maddpg_tf2.tracking import track_outputs
                    track_outputs(config, exp_name_for(config), "display", files=[path])
            else:
                text = f"interrupted; wrote the {what}" if wrote else "interrupted; no whole episode recorded; nothing written"
    except KeyboardInterrupt:  # a second Ctrl-C: stop now, write nothing
        stop["signal"] = stop["signal"] or signal.SIGINT
        text = "interrupted again; nothing written"
    finally:
        stop_signals.restore_handlers(stop)
        if recorder is not None:
            recorder.discard()
        if window is not None:
            window.close()
    if stop["signal"] is None:
        return 0
    print(f"maddpg-train: stopped: {text}", file=sys.stderr, flush=True)
    return stop_signals.exit_code(stop)

