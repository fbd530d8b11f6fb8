"""The controller of coded distributed training: an updater with the Learner's `train_step(batch)`.

Each round: broadcast every agent's state (weights and optimizer state, `ray.put` once), send each
learner the batches of the agents in its code row, take answers as they arrive (`ray.wait`) until they
determine every agent, decode in float64 and write the decoded state into the driver's Learner.
Simulated stragglers (S learners drawn per round) sleep `straggler_delay` seconds or, with
`straggler_failure`, never answer. When the answers cannot be decoded within `round_timeout` seconds
(or every outstanding learner has died), the missing rows are re-sent to learners that answered.
"""
from __future__ import annotations

import secrets
import time
from typing import Dict, List, Optional

import numpy as np

from maddpg_tf2.distributed.coded.codes import Code, DecodeError, make_code
from maddpg_tf2.distributed.coded.learners import LearnerPool, agent_batch, agent_seed
from maddpg_tf2.errors import UserError
from maddpg_tf2.notes import notice

MAX_RESENDS = 5  # re-sends of one round before giving up with an error (never hang)


def default_learners(scheme: str, n_agents: int) -> int:
    """N when --learners is not given: one per agent uncoded, two copies each for replication, else one
    spare learner (MDS then tolerates one straggler)."""
    return {"none": n_agents, "replication": 2 * n_agents}.get(scheme, n_agents + 1)


def check_sizes(scheme: str, n_learners: int, n_agents: int, stragglers: int) -> None:
    """One-line errors for combinations that cannot work."""
    if scheme != "none" and n_learners < n_agents:
        raise UserError(f"--coded-scheme {scheme} needs at least one learner per agent: --learners "
                        f"{n_learners} < {n_agents} agents; pass --learners {n_agents} or more "
                        f"(or --coded-scheme none)")
    if stragglers >= n_learners:
        raise UserError(f"--stragglers {stragglers} must be smaller than --learners {n_learners}; "
                        f"pass at most {n_learners - 1}")


class CodedUpdater:
    def __init__(self, learner, code: Code, pool: LearnerPool, stragglers: int = 0,
                 straggler_delay: float = 0.0, straggler_failure: bool = False, round_timeout: float = 10.0,
                 seed: Optional[int] = None):
        from maddpg_tf2.distributed.coded.state import StateLayout

        if code.n_learners != len(pool):
            raise ValueError(f"the code has {code.n_learners} rows but the pool {len(pool)} learners")
        if code.n_agents != learner.n:
            raise ValueError(f"the code has {code.n_agents} columns but the learner {learner.n} agents")
        check_sizes(code.scheme, code.n_learners, code.n_agents, stragglers)
        self.learner, self.code, self.pool, self.ray = learner, code, pool, pool.ray
        self.layout = StateLayout(learner)
        self.stragglers, self.straggler_delay = int(stragglers), float(straggler_delay)
        self.straggler_failure, self.round_timeout = bool(straggler_failure), float(round_timeout)
        self.base_seed = secrets.randbits(62) if seed is None else int(seed)
        self.rng = np.random.default_rng(self.base_seed)  # who straggles in which round
        self._said_resend = False
        self._announced = set()  # learners whose loss was said and which have not answered since
        # A call that failed as unavailable (ActorUnavailableError) does not mean the learner was lost: on
        # a busy machine a live learner can be slow to answer. A ping tells: the same process answers (it
        # was only slow: nothing to say) or a new one (Ray restarted it: a loss, said once).
        self._checks = {}  # ping ObjectRef -> learner
        self._new_pid_expected = set()  # learners whose loss was said before their new process was known
        self._recheck = {}  # learner -> (round, error): its ping came back unavailable too
        # What the last round did (for tests and benchmarks).
        self.current_stragglers: List[int] = []
        self.last_rows: List[int] = []
        self.last_resent: List[int] = []
        self.last_decoded: Optional[np.ndarray] = None
        self.last_round_seconds = 0.0

    @classmethod
    def from_config(cls, config, learner, act_spaces) -> "CodedUpdater":
        M = learner.n
        N = config.learners or default_learners(config.coded_scheme, M)
        check_sizes(config.coded_scheme, N, M, config.stragglers)
        code = make_code(config.coded_scheme, N, M, seed=0 if config.seed is None else config.seed)
        pool = LearnerPool(config, learner.obs_dims, act_spaces, learner.local_q_n, N)
        return cls(learner, code, pool, config.stragglers, config.straggler_delay, config.straggler_failure,
                   config.round_timeout, config.seed)

    # ------------------------------------------------------------------ one round
    def train_step(self, batch: dict) -> Dict[str, float]:
        ray, code = self.ray, self.code
        t0 = time.perf_counter()
        round_ = int(self.learner.update_rounds.numpy())
        self._settle_checks()
        ticket = time.monotonic_ns()  # orders rounds for the learners, also across updaters of one pool
        state_ref = ray.put(self.layout.read())
        batch_refs = {i: ray.put(agent_batch(batch, i)) for i in range(code.n_agents)}
        seeds = {i: agent_seed(self.base_seed, round_, i) for i in range(code.n_agents)}
        self.current_stragglers = sorted(int(j) for j in self.rng.choice(code.n_learners, self.stragglers,
                                                                            replace=False))
        pending = {}  # ObjectRef -> (row, learner)

        def send(row, learner, straggle):
            agents = code.row_agents(row)
            ref = self.pool.actors[learner].compute.remote(
                ticket, round_, state_ref, {i: batch_refs[i] for i in agents}, {i: code.matrix[row, i] for i in agents},
                {i: seeds[i] for i in agents},
                self.straggler_delay if straggle else 0.0, straggle and self.straggler_failure)
            pending[ref] = (row, learner)

        for j in code.active_rows():
            send(j, j, j in self.current_stragglers)
        received: Dict[int, np.ndarray] = {}  # row -> answer, in arrival order
        answered, dead, resent, attempts = [], set(), [], 0
        deadline = time.monotonic() + self.round_timeout
        while not code.decodable(received):
            if not pending or time.monotonic() >= deadline:
                attempts += 1
                if attempts > MAX_RESENDS:
                    raise RuntimeError(f"coded round {round_}: no decodable set of answers after "
                                       f"{MAX_RESENDS} re-sends of the missing rows; learners unreachable")
                resent += self._resend(round_, received, pending, answered, dead, send)
                if not pending:
                    continue
                deadline = time.monotonic() + self.round_timeout
            ready, _ = ray.wait(list(pending) + list(self._checks), num_returns=1,
                                timeout=max(0.0, deadline - time.monotonic()))
            for ref in ready:
                if ref in self._checks:  # a ping after an unavailable answer: slow, or restarted
                    self._settle(ref)
                    continue
                row, learner = pending.pop(ref)
                try:
                    y = ray.get(ref)
                except ray.exceptions.ActorUnavailableError as e:
                    dead.add(learner)  # its row goes to others if needed
                    if "restart" in str(e).lower():  # Ray says "the actor was restarted" / "is restarting"
                        self._lost(learner, round_, e)
                    else:  # maybe only slow to answer on a busy machine: a ping tells
                        self._check(learner, round_, e)
                    continue
                except ray.exceptions.RayActorError as e:
                    dead.add(learner)  # killed mid-round: Ray restarts it, its row is re-sent
                    self._lost(learner, round_, e)
                    continue
                self._announced.discard(learner)  # it answers again: a later loss is a new one
                if y is not None and row not in received:
                    received[row] = y
                    answered.append(learner)
        for row, learner in set(pending.values()):
            self.pool.actors[learner].finish.remote(ticket)  # late stragglers: skip the stale work
        self._settle_checks()
        rows = list(received)
        x = code.decode(rows, np.stack([received[j] for j in rows]))  # [M, width] float64
        self.last_rows, self.last_resent, self.last_decoded = rows, resent, x
        metrics = self._apply(x)
        self.last_round_seconds = time.perf_counter() - t0
        return metrics

    def _resend(self, round_, received, pending, answered, dead, send) -> List[int]:
        """Send the rows still needed to learners known alive this round; returns the rows sent."""
        in_flight = {row for row, learner in pending.values() if learner in answered}
        missing = self.code.completion(list(received) + sorted(in_flight),
                                       [j for j in self.code.active_rows() if j not in received])
        if not missing:
            return []
        live = list(dict.fromkeys(answered)) or [k for k in range(len(self.pool)) if k not in dead] \
            or self._wait_for_live(self.round_timeout) or list(range(len(self.pool)))
        if not self._said_resend and not (dead & self._announced):  # a loss said already says re-sending
            self._said_resend = True
            notice(f"coded training: round {round_} could not be decoded from the answers within "
                   f"{self.round_timeout:.3g} s (stragglers or failed learners); re-sending the missing rows "
                   f"{missing} to live learners (said once; later re-sends are silent)")
        for k, row in enumerate(missing):
            send(row, live[k % len(live)], False)
        return missing

    def _wait_for_live(self, timeout: float) -> List[int]:
        """The learners that answer within `timeout` seconds, when every one of this round failed: a
        learner Ray is restarting refuses calls until it is rebuilt, so re-sending at once would spend
        every re-send in a moment."""
        ray = self.ray
        errors = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)
        end = time.monotonic() + timeout
        while True:
            pings = {a.ping.remote(): k for k, a in enumerate(self.pool.actors)}
            ready, _ = ray.wait(list(pings), num_returns=len(pings),
                                timeout=max(0.0, min(2.0, end - time.monotonic())))
            live = []
            for ref in ready:
                try:
                    ray.get(ref)
                    live.append(pings[ref])
                except errors:
                    pass
            if live or time.monotonic() >= end:
                return sorted(live)
            time.sleep(0.2)

    def _lost(self, learner: int, round_: int, error) -> None:
        """One line per loss of a learner (not one per task it had in flight)."""
        if learner in self._announced:
            return
        self._announced.add(learner)
        self._new_pid_expected.add(learner)
        self._check(learner, round_, error)  # learn its new process: a later ping must not count the loss again
        notice(f"coded learner {learner} lost in round {round_} ({type(error).__name__}); restarted by Ray, "
               f"the round goes on without it (its rows re-sent to live learners if needed)")

    def _check(self, learner: int, round_: int, error: Exception) -> None:
        """Ping `learner` (one ping at a time): `_settle` reads the answer, for the loss seen in `round_`
        as `error`."""
        if learner not in (entry[0] for entry in self._checks.values()):
            self._checks[self.pool.actors[learner].ping.remote()] = (learner, round_, error)

    def _settle_checks(self) -> None:
        """Read the pings that have answered, without waiting; ping again those still unreachable."""
        for learner, (round_, error) in list(self._recheck.items()):
            del self._recheck[learner]
            self._check(learner, round_, error)
        if self._checks:
            ready, _ = self.ray.wait(list(self._checks), num_returns=len(self._checks), timeout=0)
            for ref in ready:
                self._settle(ref)

    def _settle(self, ref) -> None:
        """A ping's answer: the process known (it was only slow: nothing to say), a new process (Ray
        restarted it: a loss, said once) or an error (a loss)."""
        ray = self.ray
        learner, round_, error = self._checks.pop(ref)
        try:
            pid = ray.get(ref)
        except ray.exceptions.ActorUnavailableError:
            self._recheck[learner] = (round_, error)  # still unreachable: ask again at the next round's edge
            return
        except ray.exceptions.RayActorError as e:
            self._lost(learner, round_, e)
            return
        if pid != self.pool.pids[learner]:
            self.pool.pids[learner] = pid
            if learner not in self._new_pid_expected:
                self._lost(learner, round_, error)
            self._new_pid_expected.discard(learner)

    def _apply(self, x: np.ndarray) -> Dict[str, float]:
        """Write the decoded states into the driver's Learner, as its own train_step would leave it."""
        from maddpg_tf2.kernel import METRIC_NAMES

        lengths = self.layout.lengths
        rows = [self.layout.from_answer(i, x[i]) for i in range(len(lengths))]  # state, then metrics
        vectors = [self.layout.clean(i, row) for i, row in enumerate(rows)]
        self.layout.assign(vectors)
        self.learner.update_rounds.assign_add(1)
        self.learner.last_actor_weights = [self.layout.actor_weights(i, v) for i, v in enumerate(vectors)]
        metrics = {}
        for i in range(len(lengths)):
            tail = rows[i][lengths[i]:lengths[i] + len(METRIC_NAMES)]
            metrics.update({f"{name}_{i}": float(v) for name, v in zip(METRIC_NAMES, tail)})
        return metrics

    def close(self) -> None:
        self.pool.close()
