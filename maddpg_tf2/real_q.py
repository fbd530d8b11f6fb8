"""Overestimation measured during training, as the MATD3 authors' `--real-q-log` measures it.

Every 5 save points (when the started episodes reach a multiple of 5 x --save-rate, as their
train.py), each agent's critic estimate is compared with the discounted return that the current
policies actually collect:

    q_i    = mean over s of Q_i(o(s), a)                 (the critic; Q1 for matd3 agents)
    real_i = mean over s of sum_k gamma^k r_i(k)          (k = 0: the step of a from s, then the
                                                           policies' sampled actions, as in training)

over --q-log-states states s drawn uniformly with replacement from the world states the run visited
since the previous measure, each with the action a the behaviour policy took there. The rollouts run
--q-log-ep-len + 1 policy steps after the first (the authors' count), all states side by side in one
batched environment of --q-log-states worlds, without resets (the critics bootstrap through the time
limit, so they estimate this untruncated return); a world whose agents are all done stops adding.

Where this differs from the authors' code (JohannesAck/MATD3implementation, train.py
`calculate_real_q_value`), each on purpose:
- they store every visited world (a deepcopy per step, 5 x save_rate x 25 of them) and then pick 200;
  here each of the --q-log-states slots is a reservoir of one (replaced by a new state with probability
  1/(states seen)), which draws the same uniform sample with replacement in constant memory;
- they store the world *after* a step with the action taken *before* it, step that action again and
  evaluate Q at the new observation with the old action; here Q is evaluated at the state the action
  was taken in, and the return starts with that action's reward;
- their draws come from the global np.random and so change the training run that follows; here the
  measure has its own generator (seeded from --seed), and training is the same with or without it.

Outputs (plots dir, next to the learning curves): `<exp>_q_values.pkl` in the authors' format
({'q_means': [array per measure], 'real_means': [...]}, one value per agent), `<exp>_q_values.csv`
(episodes, steps, agent, q_estimate, true_return, bias), `<exp>_q_values.png`, and the scalars
q/estimate_agent_i, q/true_return_agent_i, q/bias_agent_i and their means over agents q/estimate,
q/true_return, q/bias in the metrics CSV, TensorBoard and the trackers. A --restore continues the CSV
from the rows up to its checkpoint; the reservoir starts empty again (training stays bit for bit).
"""
from __future__ import annotations

import csv
import io
import os
from typing import Dict, List, Optional

import numpy as np

from maddpg_tf2 import fileio
from maddpg_tf2.errors import UserError

EVERY_SAVES = 5  # measures every 5 save points, as the authors' train.py
SEED_SALT = 0x5251  # the measure's generator: its own stream beside the training run's


class RealQCollector:
    """The loop's collector with the measure riding along: it samples the states the wrapped collector
    steps from, and measures when a measure is due (at the start of the step after the save point, when
    that save's update round has run, as the authors measure after it)."""

    def __init__(self, inner, trainer):
        self.inner, self.trainer = inner, trainer
        c = trainer.config
        self.gamma, self.ep_len, self.slots = float(c.gamma), int(c.q_log_ep_len), int(c.q_log_states)
        self.period = EVERY_SAVES * int(c.save_rate)
        self.rng = np.random.default_rng(None if c.seed is None else [int(c.seed), SEED_SALT])
        self.rows: List[tuple] = _earlier_rows(trainer.logger.path("_q_values.csv"), trainer.progress.completed + 1)
        self._next_due = ((trainer.progress.completed + 1) // self.period + 1) * self.period
        self._eval_env = None
        self._kind = None
        self._empty_reservoir()

    def __getattr__(self, name):  # num_worlds, rng_before_reset, snapshot, resume: the wrapped collector's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # ------------------------------------------------------------------ the loop's collector interface
    def start(self) -> None:
        self.inner.start()

    def step(self, random: bool = False):
        started = self.trainer.progress.completed + 1
        if started >= self._next_due:
            self.measure(self._next_due)
            self._next_due = (started // self.period + 1) * self.period
        W = self.inner.num_worlds
        # each slot keeps a uniform draw over every state seen: replaced with probability W/(seen + W)
        replace = self.rng.random(self.slots) < W / (self._seen + W)
        which = self.rng.integers(W, size=self.slots)
        slots = np.flatnonzero(replace)
        if slots.size:
            self._keep_states(slots, which[slots])
        s = self.inner.step(random)
        if slots.size:
            for i, (o, a) in enumerate(zip(s.obs_n, s.act_n)):
                self._obs_n[i][slots] = o[which[slots]]
                self._act_n[i][slots] = a[which[slots]]
        self._seen += W
        return s

    def close(self) -> None:
        t = self.trainer
        try:
            # the last measure of a finished run falls due with its last episodes (no further step)
            if t.progress.completed >= t.config.num_episodes and t.progress.completed + 1 >= self._next_due:
                self.measure(self._next_due)
        finally:
            if self._eval_env is not None:
                self._eval_env.close()
            self.inner.close()

    # ------------------------------------------------------------------ the reservoir
    def _empty_reservoir(self) -> None:
        self._seen = 0
        self._states: Dict[str, np.ndarray] = {}  # particle worlds: state array name -> [slots, ...]
        self._worlds: List[Optional[dict]] = [None] * self.slots  # object-style worlds, one per slot
        self._obs_n: List[np.ndarray] = []
        self._act_n: List[np.ndarray] = []

    def _keep_states(self, slots: np.ndarray, worlds: np.ndarray) -> None:
        from maddpg_tf2.episode_snapshot import unpack

        state = self.trainer.env.episode_state()
        kind = None if state is None else state.get("kind")
        if kind not in ("particle", "objects"):
            raise UserError("--real-q-log restores sampled world states, which this environment cannot do (the "
                            "particle scenarios and object-style scenario files can); drop --real-q-log")
        if self._kind is None:
            self._kind, self._meta = kind, {k: v for k, v in state.items() if k not in ("arrays", "worlds")}
        if not self._obs_n:
            env = self.trainer.env
            self._obs_n = [np.zeros((self.slots, int(sp.shape[0])), np.float32) for sp in env.observation_space_n]
            self._act_n = [np.zeros((self.slots, d), np.float32) for d in self.trainer.learner.act_dims]
        if kind == "particle":
            for name, packed in state["arrays"].items():
                a = unpack(packed)
                if name not in self._states:
                    self._states[name] = np.zeros((self.slots,) + a.shape[1:], a.dtype)
                self._states[name][slots] = a[worlds]
        else:
            for slot, w in zip(slots, worlds):
                self._worlds[slot] = state["worlds"][w]

    def _joined_state(self) -> dict:
        from maddpg_tf2.episode_snapshot import pack

        if self._kind == "particle":
            return dict(self._meta, arrays={name: pack(a) for name, a in self._states.items()})
        return dict(self._meta, worlds=list(self._worlds))

    # ------------------------------------------------------------------ the measure
    def measure(self, episodes: int) -> None:
        """Measure now and record it at `episodes`, the save point it belongs to (with several worlds
        the started episodes may have passed it within the step)."""
        if not self._seen:
            return
        t = self.trainer
        global_state = np.random.get_state()  # object-style worlds draw from it: training must not see this
        try:
            q_mean, real_mean = self._estimates_and_returns()
        finally:
            np.random.set_state(global_state)
        self._empty_reservoir()
        steps = t.progress.train_step
        self.rows += [(episodes, steps, i, float(q), float(r)) for i, (q, r) in enumerate(zip(q_mean, real_mean))]
        metrics = {}
        for i, (q, r) in enumerate(zip(q_mean, real_mean)):
            metrics.update({f"q/estimate_agent_{i}": q, f"q/true_return_agent_{i}": r,
                            f"q/bias_agent_{i}": q - r})
        metrics.update({"q/estimate": float(np.mean(q_mean)), "q/true_return": float(np.mean(real_mean)),
                        "q/bias": float(np.mean(q_mean - real_mean))})
        t.logger.scalars(metrics, steps)
        t.logger.message(f"Q-mean: {np.round(q_mean, 3).tolist()} Real mean: {np.round(real_mean, 3).tolist()}")
        self._write(t.logger)

    def _estimates_and_returns(self):
        from maddpg_tf2.envs.make import make_env_for

        t = self.trainer
        if self._eval_env is None:
            self._eval_env = make_env_for(t.config, num_envs=self.slots)
            self._eval_env.reset()
        env = self._eval_env
        env.set_episode_state(self._joined_state())
        q_n = t.learner.q_values(self._obs_n, self._act_n)
        q_mean = np.array([float(np.mean(q)) for q in q_n])
        obs_n, rew, done, _ = env.step(self._act_n)
        returns = np.asarray(rew, np.float64).copy()  # [S, N]
        running = ~np.all(done, axis=1)
        discount = 1.0
        for _ in range(self.ep_len + 1):
            act_n = t.policy.act(obs_n, self.rng)
            obs_n, rew, done, _ = env.step(act_n)
            discount *= self.gamma
            returns += discount * np.asarray(rew, np.float64) * running[:, None]
            running &= ~np.all(done, axis=1)
        return q_mean, returns.mean(axis=0)

    # ------------------------------------------------------------------ files
    def _write(self, logger) -> None:
        n = logger.n_agents
        measures = [self.rows[k:k + n] for k in range(0, len(self.rows), n)]
        fileio.write_pickle(logger.path("_q_values.pkl"), {
            "q_means": [np.array([r[3] for r in m]) for m in measures],
            "real_means": [np.array([r[4] for r in m]) for m in measures]})
        fileio.write_text(logger.path("_q_values.csv"), rows_csv(self.rows))
        png = plot_q_values(self.rows, logger.path("_q_values.png"), title=logger.exp_name)
        logger.artifact(png, "curves")


CSV_HEADER = ("episodes", "steps", "agent", "q_estimate", "true_return", "bias")


def rows_csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for episodes, steps, agent, q, r in rows:
        w.writerow([episodes, steps, agent, repr(q), repr(r), repr(q - r)])
    return buf.getvalue()


def read_rows(path) -> List[tuple]:
    """The rows of a `_q_values.csv` (episodes, steps, agent, q_estimate, true_return)."""
    with open(path, newline="", encoding="utf-8") as f:
        return [(int(r["episodes"]), int(r["steps"]), int(r["agent"]), float(r["q_estimate"]),
                 float(r["true_return"])) for r in csv.DictReader(f)]


def _earlier_rows(path, episodes: int) -> List[tuple]:
    """A resumed run's measures up to its checkpoint (none for a fresh run or an unreadable file)."""
    if not os.path.isfile(path):
        return []
    try:
        return [r for r in read_rows(path) if r[0] <= episodes]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def plot_q_values(rows, path, title: Optional[str] = None) -> str:
    """Each agent's critic estimate (solid) and true discounted return (dashed) against episodes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from maddpg_tf2.plot import image_format

    fig = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for agent in sorted({r[2] for r in rows}):
        mine = [r for r in rows if r[2] == agent]
        x = [r[0] for r in mine]
        line, = ax.plot(x, [r[3] for r in mine], marker=".", label=f"agent {agent}: critic Q")
        ax.plot(x, [r[4] for r in mine], linestyle="--", marker=".", color=line.get_color(),
                label=f"agent {agent}: true return")
    ax.set_xlabel("episodes")
    ax.set_ylabel("discounted return")
    ax.set_title(title or "critic estimate vs true return")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    with fileio.atomic_path(path) as tmp:
        fig.savefig(tmp, format=image_format(path))
    return os.fspath(path)
