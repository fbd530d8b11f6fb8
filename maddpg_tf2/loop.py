"""Train, benchmark and display drivers over a batched environment.

The training loop keeps the original's semantics (docs/original.md §1) with E worlds stepped together:
one update round of every agent per 100 collected transitions once the replay holds
batch_size * max_episode_len of them; episodes are counted across worlds in the order they end, and
the save-rate lines, the learning curves and the stopping rule are those of the original's single
sequence of episodes (the count and the mean include one freshly started, zero-reward episode).
"""
from __future__ import annotations

import dataclasses
import os
import signal
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from maddpg_tf2 import stop_signals
from maddpg_tf2.config import Config
from maddpg_tf2.errors import UserError
from maddpg_tf2.agents import build_agents, exp_name_for
from maddpg_tf2.safety import NonFiniteError, check_metrics, check_step, check_weights


@dataclass
class Progress:
    """Counters and curves that a resumed run continues from (saved beside each checkpoint)."""

    train_step: int = 0  # transitions collected
    completed: int = 0  # episodes finished
    update_rounds: int = 0
    recent_rewards: List[float] = field(default_factory=list)  # last save_rate episode totals
    recent_agent_rewards: List[List[float]] = field(default_factory=list)  # per agent
    final_ep_rewards: List[float] = field(default_factory=list)
    final_ep_ag_rewards: List[float] = field(default_factory=list)
    curve_rows: List[list] = field(default_factory=list)  # the curve CSV's rows (steps, wall times)


def run(config: Config) -> int:
    """Entry point of the command line (maddpg_tf2/cli.py): the mode the config asks for. Returns the exit code."""
    created = preflight(config)
    try:
        return _run_mode(config)
    finally:
        remove_empty_dirs(created)  # a run refused after the checks (memory, a scenario error) leaves no folders


def _run_mode(config: Config) -> int:
    from maddpg_tf2.quiet_import import import_tensorflow_quietly
    import_tensorflow_quietly()
    from maddpg_tf2.tf_threads import configure_tf_threads
    configure_tf_threads(config.intra_op_threads, config.inter_op_threads)  # before any TF op runs
    _seed_everything(config.seed)
    if config.display:
        from maddpg_tf2.playback import display
        return display(config)
    if config.benchmark:
        from maddpg_tf2.playback import benchmark
        return benchmark(config)
    if config.restore:
        from maddpg_tf2.safety import check_episodes_left
        check_episodes_left(config)
    return Trainer(config).train()


def remove_empty_dirs(folders: List[str]) -> None:
    """Remove those of `folders` that are still empty, deepest first (the writers create what they need)."""
    for folder in sorted(folders, key=len, reverse=True):
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty (the run wrote there) or already gone


def preflight(config: Config) -> List[str]:
    """Checks that need no TensorFlow, so bad folders fail in a second instead of after training:
    a checkpoint exists where restore/display/benchmark load from, and every output folder can be
    created and written (they are created here as needed). Returns the folders it created."""
    from maddpg_tf2.envs.scenarios import BUILTIN_NAMES

    from maddpg_tf2.envs.make import is_external, make_env_for

    name = os.fspath(config.scenario)
    if is_external(name) or config.env_kwargs or (
            not os.path.isfile(name) and (name[:-3] if name.endswith(".py") else name) not in BUILTIN_NAMES):
        make_env_for(config).close()  # unknown names, missing extras, bad kwargs: one line, before TensorFlow
    elif os.path.isfile(name):
        # A user's scenario file is built once here, before TensorFlow loads: its errors take a second.
        make_env_for(config, num_envs=1, benchmark=config.benchmark).close()
    if config.explorers and not (config.display or config.benchmark):
        from maddpg_tf2.distributed.runtime import check_reachable, require_ray
        require_ray("--explorers")  # one line naming the extra, before TensorFlow loads
        check_reachable(config.ray_address)
    if config.restore or config.display or config.benchmark:
        flag = "--restore" if config.restore else "--display" if config.display else "--benchmark"
        check_checkpoint_present(config.load_dir or config.save_dir, flag)
    if config.adversaries_from and (config.display or config.benchmark):
        check_checkpoint_present(config.adversaries_from, "--adversaries-from",
                                 "pass the --save-dir of a training run of this scenario")
    if config.benchmark:
        outputs = {"--benchmark-dir": config.benchmark_dir}
    elif config.display:
        from maddpg_tf2.playback import display_path
        outputs = {"--display-file" if config.display_file else "--plots-dir":
                   os.path.dirname(os.path.abspath(display_path(config)))}
    else:
        outputs = {"--save-dir": config.save_dir, "--plots-dir": config.plots_dir}
        if config.tensorboard_dir:
            outputs["--tensorboard-dir"] = config.tensorboard_dir
    created = []
    for flag, folder in outputs.items():
        created += check_writable_dir(folder, flag)
    return created


def check_checkpoint_present(load_dir: str, flag: str, fix: Optional[str] = None) -> None:
    """A clear message when there is nothing to load (the detailed checks happen while loading)."""
    folder = os.path.abspath(load_dir)
    markers = ("meta.json", "checkpoint", ".index")  # ours, TensorFlow's state file, the original's
    if os.path.isdir(folder) and any(os.path.isfile(os.path.join(folder, m)) for m in markers):
        return
    fix = fix or (f"train first (without {flag}) so that one is saved there, or pass --load-dir with the "
                  f"folder of an existing checkpoint")
    raise UserError(f"{flag} found no checkpoint in {folder}; {fix}")


def check_writable_dir(folder: str, flag: str) -> List[str]:
    """Create `folder` if needed and prove a file can be written in it; returns the folders created."""
    import tempfile

    missing, parent = [], os.path.abspath(folder)
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        missing.append(parent)
        parent = os.path.dirname(parent)
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        reason = e.strerror or type(e).__name__
        if isinstance(e, FileExistsError) or (os.path.exists(folder) and not os.path.isdir(folder)):
            reason = "a file of that name exists"
        raise UserError(f"cannot write to {flag} {folder}: {reason}; pass a folder that can be created "
                        f"and written") from None
    return missing


def _seed_everything(seed: Optional[int]) -> None:
    if seed is None:
        return  # unseeded generators come from maddpg_tf2.seeding, which works either way
    import tensorflow as tf

    np.random.seed(seed)  # object-style environments draw from the global stream, as the original
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()


# ----------------------------------------------------------------------------- the loop's two seams
# The loop picks its collector and its updater here and knows both kinds of each; the kinds know
# nothing of the picker (docs/contributing.md). The Ray kinds are imported only when asked for.

def make_collector(trainer):
    """Where the loop's transitions come from: the batched env in this process
    (collectors.EnvCollector), or Ray explorers (distributed.explorers.ExplorerCollector) with
    `explorers` > 0."""
    c = trainer.config
    if getattr(c, "explorers", 0) > 0:
        from maddpg_tf2.distributed.explorers import ExplorerCollector
        return ExplorerCollector(trainer)
    from maddpg_tf2.collectors import EnvCollector
    collector = EnvCollector(trainer.env, trainer.policy, trainer.rng, c.max_episode_len)
    if c.real_q_log:  # samples the states it steps from and measures the critics' bias (real_q.py)
        from maddpg_tf2.real_q import RealQCollector
        return RealQCollector(collector, trainer)
    return collector


def make_updater(config, learner, env):
    """What the loop calls `train_step(batch)` on: the learner itself, or the coded controller
    (distributed.coded.controller.CodedUpdater) when `config.coded_scheme` is set."""
    if not config.coded_scheme:
        return learner
    from maddpg_tf2.distributed.coded.controller import CodedUpdater
    return CodedUpdater.from_config(config, learner, list(env.action_space_n))


class Trainer:
    def __init__(self, config: Config):
        from maddpg_tf2.envs.make import make_env_for
        from maddpg_tf2.logging import RunLogger
        from maddpg_tf2.replay import Replay

        self.config = config
        self.exp_name = exp_name_for(config)
        self.env = make_env_for(config, num_envs=config.num_envs, seed=config.seed)
        _check_memory(config, self.env)  # before any network or the replay is built
        self.learner, self.policy = build_agents(config, self.env)
        self.updater = make_updater(config, self.learner, self.env)  # train_step(batch): the learner unless coded
        self.rng = np.random.default_rng(config.seed)
        self.replay = _make_replay(Replay, config, self.learner)
        from maddpg_tf2.ensembles import make_sampler
        from maddpg_tf2.inference import with_latest
        # replay.sample unless ensembles (partition batches) or inferred policies (latest transitions)
        self.sample_batch = with_latest(config, self.replay, make_sampler(config, self.replay))
        self._earlier = _guard_save_dir(config, self.learner)  # an earlier run's checkpoint in save_dir
        self.progress = Progress(recent_agent_rewards=[[] for _ in range(self.env.n)])
        self.logger = RunLogger(config.plots_dir, self.exp_name, self.env.n, config.save_rate,
                                config.num_episodes, tensorboard_dir=config.tensorboard_dir,
                                quiet=config.quiet, num_adversaries=config.num_adversaries, track=config)
        self.save_dir = config.save_dir
        self.last_metrics = {}
        self._saved_at = None  # episodes completed at this run's latest save
        self._env_rng = None  # the environments' generator state before the resets of a save point
        self._episode_sums = None  # (ep_reward [W], ep_agent_reward [W, N]) of the episodes in progress
        self._resume_episodes = None  # restore(): the episodes in progress at the checkpoint
        self.collector = None  # made when the loop starts (maddpg_tf2/collectors.py)

    # ------------------------------------------------------------------ resume
    def restore(self) -> None:
        from maddpg_tf2 import checkpoint

        load_dir = self.config.load_dir or self.config.save_dir
        self.logger.message("Loading previous state...")
        extra = checkpoint.restore(load_dir, self.learner, replay=self.replay, scenario=self.config.scenario)
        if (extra or {}).get("replay_skipped"):
            from maddpg_tf2.notes import notice
            notice(f"{extra['replay_skipped']}; resuming with an empty replay (learning resumes once it "
                   f"holds {self.config.min_replay_size} transitions)")
        if not self.config.exp_name and (extra or {}).get("exp_name"):
            # No --exp-name given: keep writing the restored run's curves, not a new timestamped set.
            self.exp_name = self.logger.exp_name = extra["exp_name"]
        saved = (extra or {}).get("progress")
        if saved:
            known = {f.name for f in dataclasses.fields(Progress)}  # a newer version's fields are skipped
            self.progress = Progress(**{k: v for k, v in saved.items() if k in known})
            self.logger.restore_curves(self.progress.final_ep_rewards, self.progress.final_ep_ag_rewards,
                                       rows=self.progress.curve_rows)
            self.logger.start_progress_at(self.progress.completed)
        if (extra or {}).get("rng"):
            self.rng.bit_generator.state = extra["rng"]
        self._resume_episodes = (extra or {}).get("in_progress")
        if (extra or {}).get("env_rng") is not None and hasattr(self.env, "set_rng_state"):
            self.env.set_rng_state(extra["env_rng"])  # a seeded resume continues the layouts' stream
        self.policy.refresh(self.learner)

    def save(self) -> None:
        from maddpg_tf2 import checkpoint

        self.progress.final_ep_rewards = list(self.logger.final_ep_rewards)
        self.progress.final_ep_ag_rewards = list(self.logger.final_ep_ag_rewards)
        self.progress.curve_rows = [list(r) for r in self.logger.curve_rows()]
        from maddpg_tf2.safety import check_learner
        check_learner(self.learner, self.progress.update_rounds)  # never save non-finite weights
        in_progress = None
        if self.collector is not None and self._episode_sums is not None:
            from maddpg_tf2.episode_snapshot import snapshot
            in_progress = snapshot(self.collector, *self._episode_sums)
        if in_progress is None and self._env_rng is not None:
            env_rng = self._env_rng  # no snapshot: a resume redraws the resets of this save point
        else:
            env_rng = _env_rng_state(self.env)  # the worlds as they are now continue, resets made
        extra = {"progress": dataclasses.asdict(self.progress), "rng": self.rng.bit_generator.state,
                 "exp_name": self.exp_name, "env_rng": env_rng, "in_progress": in_progress}
        checkpoint.save(self.save_dir, self.learner, extra=extra,
                        replay=self.replay if self.config.save_replay else None,
                        scenario=self.config.scenario)
        self._saved_at, self._env_rng = self.progress.completed, None

    # ------------------------------------------------------------------ train
    def train(self) -> int:
        c = self.config
        from maddpg_tf2.envs.make import is_external
        if self.env.n == 1 and is_external(c.scenario):  # the original's line (kept for its scenarios) names two teams
            self.logger.message(f"Using policy {c.good_policy} for the single agent")
        else:
            self.logger.message(f"Using good policy {c.good_policy} and adv policy {c.adv_policy}")
        limit = getattr(self.env, "episode_limit", None)
        if limit and limit > c.max_episode_len:
            self.logger.message(f"Note: episodes end after --max-episode-len {c.max_episode_len} steps "
                                f"(the env's own limit is {limit}); pass --max-episode-len {limit} to keep it")
        if c.restore:
            self.restore()
        started_at = self.progress.completed
        self._collector()  # explorers start (or Ray fails, in one line) before the iterations
        self.logger.message("Starting iterations...")
        # Ctrl-C and SIGTERM only raise a flag that the loop checks once per step, so a stop never
        # lands between a save line and its curve point or inside a checkpoint write.
        self._signals = stop_signals.install_stop_handlers()
        try:
            try:
                self._loop()
            except KeyboardInterrupt:  # a second Ctrl-C before the loop saw the first: stop now
                return self._stopped("Interrupted again: stopped without saving")
            except NonFiniteError as e:
                self.logger.close()
                raise NonFiniteError(f"{e}; stopped at episode {self.progress.completed} without saving that "
                                     f"state; {self._kept()}") from e
            if self._signals["signal"] is not None and self._earlier and self._saved_at is None:
                # Stopped before this run's first save: an interrupt save would make a barely started
                # run the latest checkpoint, over an earlier run's (which --restore would then miss).
                self.logger.close()
                self.logger.message(
                    f"Interrupted after {self.progress.completed} episodes, before this run's first save: no "
                    f"checkpoint saved, so the latest checkpoint in {self.save_dir} is still the earlier run's "
                    f"(--restore would continue that run, not this one).")
                return self._exit_code()
            if self._signals["signal"] is not None:
                try:
                    self.save()
                    self.logger.write_curves()
                    self.logger.write_plot()
                except KeyboardInterrupt:  # Ctrl-C again while saving: abandon this save cleanly
                    return self._stopped("Interrupted again while saving: abandoned the rest of that save")
                self.logger.close()
                hint = self._resume_hint()
                self.logger.message(
                    f"Interrupted after {self.progress.completed} episodes: checkpoint saved to {self.save_dir} "
                    f"and curves to {self.logger.path('_rewards.pkl')}. {hint[:1].upper() + hint[1:]}.")
                return self._exit_code()
            if self._saved_at != self.progress.completed and self.progress.completed != started_at:
                # The episodes after the last save point are kept too (as a Ctrl-C would keep them); the
                # learning curves still get a point only every --save-rate episodes, as the original's.
                self.save()
        finally:
            stop_signals.restore_handlers(self._signals)
            if self.collector is not None:
                self.collector.close()
        self.logger.write_curves()
        self.logger.write_plot()
        self.logger.message(f"...Finished total of {self.progress.completed + 1} episodes.")
        self.logger.close()
        return 0

    def _kept(self) -> str:
        """What the save dir holds for the user after a stop without a final save."""
        if self._saved_at is not None:
            return (f"the last checkpoint of this run (after {self._saved_at} episodes) in {self.save_dir} is "
                    f"kept: {self._resume_hint()}")
        return f"this run saved no checkpoint ({self.save_dir} is as it was before the run)"

    def _resume_hint(self) -> str:
        """How to continue from this run's checkpoint, which is in --save-dir (not --load-dir)."""
        load_dir = self.config.load_dir
        if load_dir and os.path.abspath(load_dir) != os.path.abspath(self.save_dir):
            return f"resume with the same command, --restore and --load-dir {self.save_dir}"
        return "resume with the same command plus --restore"

    def _stopped(self, what: str) -> int:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a third Ctrl-C must not cut the message short
        self.logger.close()
        self.logger.message(f"{what}; {self._kept()}.")
        return self._exit_code()

    def _exit_code(self) -> int:
        """130 for Ctrl-C, 143 for SIGTERM, as a shell reports them."""
        return stop_signals.exit_code(self._signals)

    def _loop(self) -> None:
        c, p = self.config, self.progress
        collector = self._collector()  # where transitions come from: this process's env, or explorers
        W = collector.num_worlds
        ep_reward = np.zeros(W)
        ep_agent_reward = np.zeros((W, self.env.n))
        warmup_left = max(0, c.warmup_episodes - p.completed)
        stop = getattr(self, "_signals", {"signal": None})
        from maddpg_tf2.episode_snapshot import mid_episode, resume
        if not resume(collector, self._resume_episodes, ep_reward, ep_agent_reward):
            if mid_episode(self._resume_episodes):
                from maddpg_tf2.notes import notice
                notice("the checkpoint's episodes in progress do not fit this run (another --num-envs, "
                       "--ensemble-size or environment); they start afresh")
            collector.start()
        self._resume_episodes = None
        self._episode_sums = (ep_reward, ep_agent_reward)
        while p.completed < c.num_episodes and stop["signal"] is None:
            s = collector.step(random=warmup_left > 0)
            check_step(s.obs_n, s.next_obs_n, s.rew, p.train_step)
            if s.lost is not None:  # worlds restarted under the collector: their episodes are dropped
                ep_reward[s.lost] = 0.0
                ep_agent_reward[s.lost] = 0.0
            self.replay.add(s.obs_n, s.act_n, s.rew, s.next_obs_n, s.done, tags=s.tags)
            ep_reward += s.rew.sum(axis=1)
            ep_agent_reward += s.rew
            old_step = p.train_step
            p.train_step += W
            if s.ended.any():
                save_due = self._finish_episodes(np.flatnonzero(s.ended), ep_reward, ep_agent_reward)
                if save_due:
                    # a resume from this save redraws the resets the collector just made
                    self._env_rng = getattr(collector, "rng_before_reset", None)
                warmup_left -= int(s.ended.sum())
                ep_reward[s.ended] = 0.0
                ep_agent_reward[s.ended] = 0.0
            else:
                save_due = False
            self._update(old_step, p.train_step)
            if save_due:
                self.save()
                self.logger.write_curves()
            self.logger.progress(p.completed, p.train_step)

    def _collector(self):
        if self.collector is None:
            self.collector = make_collector(self)
        return self.collector

    def _finish_episodes(self, envs, ep_reward, ep_agent_reward) -> bool:
        """Count the episodes that ended, in world order; print and record every save point crossed."""
        c, p = self.config, self.progress
        save_due = False
        for e in envs:
            if p.completed >= c.num_episodes:
                break  # the original stops at exactly num_episodes; extra worlds' episodes are dropped
            p.completed += 1
            p.recent_rewards = (p.recent_rewards + [float(ep_reward[e])])[-c.save_rate:]
            for i, rewards in enumerate(p.recent_agent_rewards):
                p.recent_agent_rewards[i] = (rewards + [float(ep_agent_reward[e, i])])[-c.save_rate:]
            started = p.completed + 1
            if started % c.save_rate == 0:
                # As the original: the last save_rate entries of the started episodes, the fresh one (0) included.
                window = p.recent_rewards[-(c.save_rate - 1):] if c.save_rate > 1 else []
                mean = float(np.sum(window) / c.save_rate)
                agent_means = [float(np.sum(r[-(c.save_rate - 1):] if c.save_rate > 1 else []) / c.save_rate)
                               for r in p.recent_agent_rewards]
                self.logger.save_line(p.train_step, started, mean, agent_means=agent_means)
                self._log_scalars(mean, agent_means)
                save_due = True
        return save_due

    def _update(self, old_step: int, new_step: int) -> None:
        """One round per multiple of update_every crossed, once the replay is large enough."""
        c = self.config
        rounds = new_step // c.update_every - old_step // c.update_every
        if rounds <= 0 or len(self.replay) < c.min_replay_size:
            return
        for _ in range(rounds * c.train_repeats):
            batch = self.sample_batch(c.batch_size, self.rng)
            if batch is None:
                return  # ensembles: a sub-policy's replay partition is still empty
            self.last_metrics = self.updater.train_step(batch)
            self.progress.update_rounds += 1
            check_metrics(self.last_metrics, self.progress.update_rounds)
            if c.log_grad_variance and self.progress.update_rounds % c.log_grad_variance_interval == 0:
                from maddpg_tf2.grad_variance import log_grad_variance
                log_grad_variance(self, batch)  # same batch, own seeds: training is unchanged
        self.policy.refresh_after_step(self.learner)
        check_weights(self.policy.weights_n, "actor", self.progress.update_rounds)

    def _log_scalars(self, mean, agent_means) -> None:
        metrics = {"reward/episode": mean, "perf/episodes_per_second": self.logger.episodes_per_second}
        metrics.update({f"reward/agent_{i}": m for i, m in enumerate(agent_means)})
        metrics.update({k: float(v) for k, v in self.last_metrics.items()})
        self.logger.scalars(metrics, self.progress.train_step)


def _env_rng_state(env):
    return env.rng_state() if hasattr(env, "rng_state") else None


def _check_memory(config: Config, env) -> None:
    """One line instead of a silent kill by the kernel when this run cannot fit in memory."""
    from maddpg_tf2.distributions import make_distribution
    from maddpg_tf2.replay import replay_nbytes
    from maddpg_tf2.safety import check_memory

    obs_dims = [int(s.shape[0]) for s in env.observation_space_n]
    dists = [make_distribution(s, box=config.box_policy) for s in env.action_space_n]
    act_dims = [d.action_size for d in dists]
    replay = replay_nbytes(config.buffer_size, obs_dims, act_dims, _replay_worlds(config),
                           config.max_episode_len, len(obs_dims) if config.ensemble_size > 1 else 0)
    check_memory(config, obs_dims, act_dims, [d.param_size for d in dists], replay)


def _replay_worlds(config: Config) -> int:
    return config.num_envs * max(1, config.explorers)  # explorers: K*E worlds share the replay


def _make_replay(Replay, config: Config, learner):
    """The replay, or one line saying why it cannot be allocated."""
    try:
        return Replay(config.buffer_size, learner.obs_dims, learner.act_dims, num_envs=_replay_worlds(config),
                      episode_len=config.max_episode_len, num_tags=learner.n if config.ensemble_size > 1 else 0)
    except (MemoryError, ValueError) as e:
        raise UserError(f"the replay of --buffer-size {config.buffer_size} cannot be allocated ({e}); "
                        f"pass a smaller --buffer-size") from None


def _guard_save_dir(config: Config, learner):
    """Overwrite protection (safety.check_overwrite) before anything is saved; says when a fresh run
    will replace a checkpoint of the same configuration."""
    from maddpg_tf2.checkpoint import model_meta
    from maddpg_tf2.safety import check_overwrite, notice

    load_dir = config.load_dir or config.save_dir
    here = config.restore and os.path.abspath(load_dir) == os.path.abspath(config.save_dir)
    earlier = check_overwrite(config.save_dir, model_meta(learner, config.scenario), config.overwrite, here)
    if earlier == "same":
        notice(f"--save-dir {config.save_dir} holds a checkpoint of this configuration; this "
               f"{'run' if config.restore else 'fresh run'} adds its own from its first save on (the "
               f"last 5 are kept); stop now and use another --save-dir to keep the old one safe"
               + ("" if config.restore else ", or add --restore to continue it"))
    return earlier
