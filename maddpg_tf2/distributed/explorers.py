"""Explorers on Ray: many processes step worlds, the learner in the driver trains (SEED-style split).

Each explorer is a Ray actor (restarted by Ray when its process or node dies) that steps `num_envs`
worlds of the batched engine (`make_env`: the vectorised scenarios or a user's scenario file) and
acts with a numpy copy of the actors. `ExplorerCollector` is the training loop's collector
(maddpg_tf2/collectors.py) for them: the loop, replay, updates, checkpoints and logs stay the
single-process ones, and the K explorers' worlds are worlds k*E .. (k+1)*E-1 of the K*E world
segments of the replay.

Rounds. A round is `T` steps of every explorer, T = ceil(update_every / (K*E)), so one round brings
at least update_every transitions and the loop runs its one update per update_every crossed after
each step, as in one process. Synchronous (default): round r+1 is started, with the weights of the
moment, as soon as round r has arrived, so explorers run at most one round ahead of the learner;
blocks are taken in explorer order, and explorer k draws from its own stream seeded by (seed, k),
so the same seed and K give the same run. `--async-updates`: each explorer starts its next block
as soon as it delivered one (at most two queued), and the learner trains extra rounds whenever no
round is complete instead of waiting.

Faults. A block is taken whole or not at all: when an explorer dies (`ray.kill`, its process killed,
its node lost) its unfinished block is dropped, Ray restarts the actor (anywhere in the cluster),
and the block is asked again of the new one, whose worlds start fresh episodes; the episodes the
lost worlds had in progress are not counted. One line on stderr says so, once per loss.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
import warnings
from collections import deque
from typing import List, Optional

import numpy as np

from maddpg_tf2.collectors import EnvCollector, Step
from maddpg_tf2.errors import UserError
from maddpg_tf2.notes import notice
from maddpg_tf2.replay import joint_rows  # per-agent arrays -> one float32 row block, as the replay stores it

MAX_CONSECUTIVE_LOSSES = 40  # an explorer that dies this often in a row is broken, not unlucky


class Explorer:
    """E worlds stepped with a numpy policy; a Ray actor (made with `ray.remote` at run time)."""

    def __init__(self, index: int, scenario, num_envs: int, max_episode_len: int, seed: Optional[int],
                 stream: int, dists, weights_n, inference=None):
        import pickle

        from maddpg_tf2.distributed.runtime import require_ray
        from maddpg_tf2.quiet_import import import_tensorflow_quietly

        import_tensorflow_quietly()  # the action distributions need it; its start-up notes stay off the terminal
        from maddpg_tf2.envs.make import make_env
        from maddpg_tf2.policy import Policy

        dists = pickle.loads(dists)  # sent pickled, so TensorFlow is imported above, quietly
        self.index = index
        # A restarted explorer must not replay its first life's random draws: fresh entropy then.
        ray = require_ray()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Ray 2.x flags the property's internals as deprecated
            reborn = ray.get_runtime_context().was_current_actor_reconstructed
        self.reborn = bool(reborn)
        seq = np.random.SeedSequence(None if seed is None or reborn else seed, spawn_key=(index, stream))
        env_seq, act_seq = seq.spawn(2)
        self.scenario_names = _scenario_here(scenario)  # (the copy here, the user's path) or None
        with self._as_the_users_file():
            env = make_env(self.scenario_names[0] if self.scenario_names else scenario, num_envs=num_envs,
                           seed=int(env_seq.generate_state(1)[0]))
            self.policy = Policy(dists, weights_n)
            # By name, not by handle: a restart must not depend on a constructor argument in the object store.
            acting = _CentralPolicy(self.policy, ray.get_actor(inference)) if inference else self.policy
            self.collector = EnvCollector(env, acting, np.random.default_rng(act_seq), max_episode_len)
            self.collector.start()
        self.blocks = 0

    @contextlib.contextmanager
    def _as_the_users_file(self):
        """Errors of the user's scenario name the user's file, not this process's copy of it (the
        lines are the same: the copy is the file's text)."""
        from maddpg_tf2.envs.make import ScenarioCodeError

        try:
            yield
        except ScenarioCodeError as e:
            if not self.scenario_names:
                raise
            copy, users = self.scenario_names
            raise ScenarioCodeError(str(e).replace(copy, users)) from e

    def pid(self) -> int:
        return os.getpid()

    def restarted(self) -> bool:
        """Whether this process is Ray's restart of the actor (its first process died, maybe while it
        was still starting)."""
        return self.reborn

    def node_id(self) -> str:
        from maddpg_tf2.distributed.runtime import require_ray

        return require_ray().get_runtime_context().get_node_id()

    def collect(self, weights_n, steps: int, random: bool) -> dict:
        """`steps` steps of every world, stepped as in one process (EnvCollector); arrays [T, E, ...]
        (obs/next_obs joint over agents, float32 as the replay stores them), plus `fresh` (the first
        block of this actor's life: after a restart the driver drops its worlds' unfinished episodes)."""
        if weights_n is not None:
            self.policy.weights_n = weights_n
        out = {k: [] for k in ("obs", "act", "rew", "next_obs", "done", "ended")}
        for _ in range(steps):
            with self._as_the_users_file():
                s = self.collector.step(random)
            for key, value in (("obs", joint_rows(s.obs_n)), ("act", joint_rows(s.act_n)), ("rew", s.rew),
                               ("next_obs", joint_rows(s.next_obs_n)), ("done", np.asarray(s.done, np.bool_)),
                               ("ended", s.ended)):
                out[key].append(value)
        block = {k: np.stack(v) for k, v in out.items()}
        block["fresh"] = self.blocks == 0
        self.blocks += 1
        return block


class _CentralPolicy:
    """Acting through the inference actor: it computes the parameters, the explorer samples them
    from its own stream."""

    def __init__(self, policy, inference):
        self.policy, self.inference = policy, inference
        self.splits = np.cumsum([d.param_size for d in policy.dists])[:-1]

    def act(self, obs_n, rng):
        from maddpg_tf2.distributed.runtime import require_ray

        params = require_ray().get(self.inference.logits.remote(joint_rows(obs_n)))  # [E, sum of param sizes]
        return [d.sample_np(p, rng) for d, p in zip(self.policy.dists, np.split(params, self.splits, axis=1))]

    def random_actions(self, num_envs, rng):
        return self.policy.random_actions(num_envs, rng)

    tags = None  # no policy ensembles with explorers

    def new_episodes(self, ended, rng):
        self.policy.new_episodes(ended, rng)


class Inference:
    """Central inference (SEED): explorers send observations, one forward pass answers all the
    requests that arrived together (it waits up to `wait_s` for the others of a round)."""

    def __init__(self, weights_n, obs_dims: List[int], expected: int, wait_s: float = 0.002):
        from maddpg_tf2.quiet_import import import_tensorflow_quietly

        import_tensorflow_quietly()  # networks.py imports it
        self.weights_n = weights_n
        self.splits = np.cumsum(obs_dims)[:-1]
        self.expected, self.wait_s = expected, wait_s
        self.pending = []  # (obs [E, D], future)
        self.timer = None

    async def set_weights(self, weights_n) -> None:
        self.weights_n = weights_n

    async def logits(self, obs: np.ndarray) -> np.ndarray:
        import asyncio

        future = asyncio.get_running_loop().create_future()
        self.pending.append((obs, future))
        if len(self.pending) >= self.expected:
            self._flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.wait_s, self._flush)
        return await future

    def _flush(self) -> None:
        from maddpg_tf2.networks import mlp_forward_np

        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        obs = np.concatenate([o for o, _ in batch])  # [sum E, D]: one forward pass for all explorers
        params = np.concatenate([mlp_forward_np(w, np.ascontiguousarray(o))
                                 for w, o in zip(self.weights_n, np.split(obs, self.splits, axis=1))], axis=1)
        start = 0
        for o, future in batch:
            future.set_result(params[start:start + len(o)])
            start += len(o)


def _scenario_here(scenario):
    """A scenario file travels as (name, source, the user's path) so explorers on other hosts need no
    copy of it; (this process's copy, the user's path), or None for a scenario name."""
    if isinstance(scenario, tuple):
        import tempfile

        name, source, users = scenario
        folder = tempfile.mkdtemp(prefix="maddpg_scenario_")
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        return path, users
    return None


class ExplorerCollector:
    """The loop's collector for K Ray explorers of E worlds each (W = K*E worlds)."""

    def __init__(self, trainer):
        import pickle

        from maddpg_tf2.distributed import runtime

        c = self.config = trainer.config
        self.trainer, self.policy, self.logger = trainer, trainer.policy, trainer.logger
        K, E = c.explorers, c.num_envs
        needed = K + (c.inference == "central")
        # Each explorer is a process with TensorFlow: refused before any starts when they cannot fit.
        ray = self.ray = runtime.connect_with_room(c.ray_address, needed, "--explorers", K, ray_output=c.debug,
                                                   flag="--explorers", num_cpus=max(os.cpu_count() or 1, needed))
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < needed:
            raise UserError(f"--explorers {K} needs {needed} CPUs in the Ray cluster, which has {cpus:g}; "
                            f"add nodes (`ray start --address=...`) or pass fewer --explorers")
        self.K, self.E, self.num_worlds = K, E, K * E
        self.T = max(1, math.ceil(c.update_every / (K * E)))  # steps per block: a round >= update_every
        self.obs_splits = np.cumsum(trainer.learner.obs_dims)[:-1]
        self.act_splits = np.cumsum(trainer.learner.act_dims)[:-1]
        scenario = os.fspath(c.scenario)
        if os.path.isfile(scenario):
            with open(scenario, encoding="utf-8") as f:
                scenario = (os.path.basename(scenario), f.read(), scenario)
        weights = ray.put(self.policy.weights_n)
        self._weights_key, self._weights_ref = id(self.policy.weights_n), weights
        self.inference = None
        if c.inference == "central":
            name = f"maddpg_inference_{os.getpid()}_{id(self)}"
            self.inference = ray.remote(Inference).options(
                name=name, num_cpus=1, max_restarts=-1, max_task_retries=-1, max_concurrency=max(4, 2 * K),
                scheduling_strategy=_here(ray),
            ).remote(self.policy.weights_n, trainer.learner.obs_dims, K)
        explorer_cls = ray.remote(Explorer).options(num_cpus=1, max_restarts=-1, max_task_retries=0)
        stream = trainer.progress.train_step  # a resumed run continues with new draws, not the first run's
        self.explorers = [explorer_cls.remote(k, scenario, E, c.max_episode_len, c.seed, stream,
                                              pickle.dumps(self.policy.dists), self.policy.weights_n,
                                              name if self.inference is not None else None)
                          for k in range(K)]  # arguments by value: a restart must not need the object store
        self.blocks_taken = [0] * K
        self.announced = [False] * K  # explorer k's loss already logged (one line per loss)
        self._wait_started(runtime)
        self.start_step, self.start_rounds = trainer.progress.train_step, trainer.progress.update_rounds
        self.queued = [deque() for _ in range(K)]  # delivered blocks not yet used
        self.inflight = [None] * K  # ObjectRef of the block each explorer is computing
        self.round, self.pos = None, 0

    def _wait_started(self, runtime) -> None:
        """Every explorer built (bounded: runtime.STARTUP_TIMEOUT_S); one that Ray restarted while it
        started gets the note of a loss, as during collection."""
        refs = {}

        def ask(k):
            refs[k] = self.explorers[k].restarted.remote()
            return refs[k]

        try:
            restarted = runtime.wait_ready(self.ray, ask, len(self.explorers), "--explorers: the explorers",
                                           "check the Ray logs (/tmp/ray/session_latest/logs) and the memory free "
                                           "on every Ray host; or pass fewer --explorers", note=notice)
        except UserError as e:
            try:
                if isinstance(e.__cause__, self.ray.exceptions.RayActorError):
                    for k, ref in refs.items():  # which one: its own error (a scenario file's names the file)
                        try:
                            self.ray.get(ref, timeout=0)
                        except self.ray.exceptions.RayActorError as lost:
                            self._lost(k, lost, 1)
                        except Exception:  # not ready or fine: not this one
                            pass
                raise
            finally:
                for actor in self.explorers + ([self.inference] if self.inference is not None else []):
                    try:
                        self.ray.kill(actor, no_restart=True)
                    except Exception:  # already gone
                        pass
        for k, again in enumerate(restarted):
            if again:
                self._announce(k, "its process ended while it started")

    # ---------------------------------------------------------------- the collector protocol
    def start(self) -> None:
        self.round, self.pos = None, self.T

    def step(self, random: bool = False) -> Step:
        if self.pos >= self.T:
            self.round = self._next_round(random)
            self.pos = 0
        r, t = self.round, self.pos
        self.pos += 1
        split = lambda a, at: np.split(a[t], at, axis=1)
        return Step(split(r["obs"], self.obs_splits), split(r["act"], self.act_splits), r["rew"][t],
                    split(r["next_obs"], self.obs_splits), r["done"][t], r["ended"][t],
                    r["lost"] if t == 0 else None)

    def close(self) -> None:
        if self.config.async_updates:
            p = self.trainer.progress
            data, rounds = p.train_step - self.start_step, p.update_rounds - self.start_rounds
            self.logger.message(f"Asynchronous updates: {rounds} update rounds for {data} transitions, "
                                f"{100.0 * rounds / max(1, data):.2f} per 100 transitions (synchronous: "
                                f"{100.0 / self.config.update_every * self.config.train_repeats:.2f})")
        for actor in self.explorers + ([self.inference] if self.inference is not None else []):
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # already gone with its cluster
                pass
        self.explorers, self.inference = [], None

    # ---------------------------------------------------------------- rounds
    def _weights(self):
        """The current actor weights in the object store (put once per update, read by all)."""
        if id(self.policy.weights_n) != self._weights_key:
            self._weights_key, self._weights_ref = id(self.policy.weights_n), self.ray.put(self.policy.weights_n)
            if self.inference is not None:
                self.inference.set_weights.remote(self._weights_ref)
        return self._weights_ref

    def _launch(self, k: int, random: bool) -> None:
        self.inflight[k] = self.explorers[k].collect.remote(self._weights(), self.T, random)

    def _next_round(self, random: bool) -> dict:
        """One block of every explorer, in explorer order, stacked to [T, K*E, ...]."""
        if self.config.async_updates:
            blocks = self._round_async(random)
        else:
            for k in range(self.K):
                if self.inflight[k] is None:
                    self._launch(k, random)
            blocks = [self._take(k, random) for k in range(self.K)]
            for k in range(self.K):  # the next round starts now, with the weights of this moment
                self._launch(k, random)
        reborn = [b["fresh"] and self.blocks_taken[k] > 0 for k, b in enumerate(blocks)]
        for k in range(self.K):
            if reborn[k] and not self.announced[k]:  # died between blocks: its block had arrived whole
                self._announce(k, "its process ended")
            self.announced[k] = False
            self.blocks_taken[k] += 1
        lost = np.repeat(reborn, self.E)
        out = {key: np.concatenate([b[key] for b in blocks], axis=1)
               for key in ("obs", "act", "rew", "next_obs", "done", "ended")}
        out["lost"] = lost if lost.any() else None
        return out

    def _take(self, k: int, random: bool) -> dict:
        """Explorer k's block in flight, whole; a lost explorer's block is asked again of its restart."""
        ActorDiedError, ActorUnavailableError, RayActorError = _actor_errors(self.ray)

        failures = 0
        while True:
            try:
                block = self._get(self.inflight[k])
                self.inflight[k] = None
                return block
            except (RayActorError, ActorDiedError, ActorUnavailableError) as e:
                failures += 1
                self._lost(k, e, failures)
                self._launch(k, random)

    def _get(self, ref) -> dict:
        """A block; a user error raised in the explorer (its scenario file) as the in-process run
        raises it: one line, the remote traceback chained for --debug."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as e:
            users = _users_error(e)
            if users is None:
                raise
            raise users from e

    def _lost(self, k: int, error: Exception, failures: int) -> None:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        # Its constructor raised (e.g. a package missing on that host): no restart helps. A process that
        # died while it started (killed) is a loss as any other, restarted by Ray.
        if getattr(error, "actor_init_failed", False) or "raised in its creation task" in str(error):
            detail = [l for l in str(error).splitlines() if l.strip()][-1].strip()
            scenario = detail.partition("ScenarioCodeError: ")[2]
            if scenario:  # the user's scenario file raised while the explorer built its worlds
                from maddpg_tf2.envs.make import ScenarioCodeError
                raise ScenarioCodeError(scenario) from error
            detail = detail[:300]
            raise UserError(f"explorer {k} could not start: {detail}; check that every Ray host has this "
                            f"package and its dependencies installed")
        if failures >= MAX_CONSECUTIVE_LOSSES:
            raise UserError(f"explorer {k} died {failures} times in a row (last: {reason}); check the "
                            f"Ray logs (/tmp/ray/session_latest/logs) and the cluster's nodes")
        if not self.announced[k]:
            self._announce(k, type(error).__name__)
        if failures > 1:
            time.sleep(min(5.0, 0.2 * failures))  # give Ray time to place the restarted actor

    def _announce(self, k: int, reason: str) -> None:
        self.announced[k] = True
        notice(f"explorer {k} lost ({reason}); restarted by Ray, its unfinished block is dropped and "
               f"the episodes in progress in its worlds are not counted")

    def _round_async(self, random: bool) -> List[dict]:
        """Free running: relaunch each explorer as soon as it delivers (up to two blocks queued);
        while no round is complete, the learner trains instead of waiting."""
        ActorDiedError, ActorUnavailableError, RayActorError = _actor_errors(self.ray)

        failures = [0] * self.K
        while not all(self.queued):
            for k in range(self.K):
                if self.inflight[k] is None and len(self.queued[k]) < 2:
                    self._launch(k, random)
            refs = [ref for ref in self.inflight if ref is not None]
            before = self.trainer.progress.update_rounds
            self.trainer._update(0, self.config.update_every)  # one extra round when the replay allows
            trained = self.trainer.progress.update_rounds > before
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0 if trained else 0.01)
            for ref in ready:
                k = self.inflight.index(ref)
                self.inflight[k] = None
                try:
                    self.queued[k].append(self._get(ref))
                    failures[k] = 0
                except (RayActorError, ActorDiedError, ActorUnavailableError) as e:
                    failures[k] += 1
                    self._lost(k, e, failures[k])
        blocks = [q.popleft() for q in self.queued]
        for k in range(self.K):
            if self.inflight[k] is None and len(self.queued[k]) < 2:
                self._launch(k, random)
        return blocks


def _users_error(error: BaseException):
    """The user error (maddpg_tf2.errors.user_errors) that an actor raised, or None."""
    from maddpg_tf2.errors import user_errors

    cause = getattr(error, "cause", None)
    for _ in range(8):  # an actor that called an actor nests Ray's errors
        if not hasattr(cause, "cause"):
            break
        cause = cause.cause
    return cause if isinstance(cause, user_errors()) else None


def _actor_errors(ray):
    """What `ray.get` raises for a lost actor."""
    return ray.exceptions.ActorDiedError, ray.exceptions.ActorUnavailableError, ray.exceptions.RayActorError


def _here(ray):
    """Schedule on the driver's node (where the learner and its device are), if it can."""
    return ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=True)
