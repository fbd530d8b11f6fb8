"""The output side of a training run: stdout lines, progress bar, learning curves, metrics.

One `RunLogger` per run writes to every sink (principle 9): the original's stdout lines (kept
byte-for-byte), a tqdm bar on stderr, the learning-curve pickles in the original's structure, a CSV
and PNG of the curve, and namespaced scalars (`loss/critic_0`) to TensorBoard, a long-format CSV and,
with `--track`, the experiment trackers (maddpg_tf2/tracking.py).
Every file is written whole and atomically, so a crash never leaves a truncated output.
"""
from __future__ import annotations

import csv
import io
import logging as _stdlib_logging
import os
import sys
import time
from typing import Dict, List, Optional, Sequence

from maddpg_tf2 import fileio

_log = _stdlib_logging.getLogger("maddpg_tf2")


def _num(x) -> str:
    """A number as the original's line shows it.

    The original printed numpy float64s, whose str is the shortest round-trip repr; a Python
    float prints the same. Converting also avoids numpy 2's `np.float64(...)` inside lists.
    """
    return repr(float(x))


def format_save_line(train_step, episodes, mean_reward, seconds, agent_means=None) -> str:
    """The original's periodic line; `agent_means` inserts the per-agent part (adversary runs)."""
    head = "steps: {}, episodes: {}, mean episode reward: {}".format(
        int(train_step), int(episodes), _num(mean_reward))
    if agent_means is not None:
        head += ", agent episode reward: [{}]".format(", ".join(_num(m) for m in agent_means))
    return head + ", time: {}".format(round(float(seconds), 3))


class RunLogger:
    """Every output of a training run.

    num_adversaries: None prints the per-agent rewards whenever `save_line` is given them; an int
    follows the original's rule (printed only when > 0) while the curves still record them.
    track: the run's Config when it names trackers (`--track`): they become one more sink of the
    scalars, and get the curve plot (maddpg_tf2/tracking.py).
    """

    def __init__(self, plots_dir, exp_name: str, n_agents: int, save_rate: int,
                 total_episodes: int, tensorboard_dir=None, quiet: bool = False,
                 stdout=None, num_adversaries: Optional[int] = None, track=None):
        self.plots_dir = os.fspath(plots_dir)
        self.exp_name = exp_name
        self.n_agents = int(n_agents)
        self.save_rate = int(save_rate)
        self.total_episodes = int(total_episodes)
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.quiet = quiet
        # Resolved late so pytest's capsys (which swaps sys.stdout) sees the lines.
        self._stdout = stdout
        self.num_adversaries = num_adversaries

        # Learning curves in the original's structure: one float per save, saves x agents.
        self.final_ep_rewards: List[float] = []
        self.final_ep_ag_rewards: List[float] = []
        self._curve_rows: List[tuple] = []  # (episodes, steps, mean, agent means, wall, interval)
        self._swept = False  # stale temporaries of this run's files removed

        self._metric_rows: List[tuple] = []  # (step, name, value), long format: new names welcome
        self._tb_writer = None
        self._tracker = None
        if track is not None and track.track:
            from maddpg_tf2.tracking import RunTracker
            self._tracker = RunTracker(track, mode="train", exp_name=lambda: self.exp_name)
        self._bar = None
        self._bar_episodes = 0
        self._t0 = time.time()
        self._t_last_save = self._t0
        self.episodes_per_second = float("nan")  # over the latest save interval (perf/episodes_per_second)

    # ---------------------------------------------------------------- paths
    def path(self, suffix: str) -> str:
        return os.path.join(self.plots_dir, self.exp_name + suffix)

    @property
    def stdout(self):
        return self._stdout if self._stdout is not None else sys.stdout

    # ---------------------------------------------------------------- stdout and progress
    def message(self, text: str) -> None:
        """A stdout line written around the bar, so neither corrupts the other."""
        _log.info(text)
        if self._bar is not None:
            from tqdm import tqdm
            tqdm.write(text, file=self.stdout)
        else:
            self.stdout.write(text + "\n")
        self.stdout.flush()

    def start_progress_at(self, episodes: int) -> None:
        """A restored run's bar starts at its episodes, so the rate counts only this run's (tqdm's initial)."""
        if self._bar is None:
            self._bar_episodes = int(episodes)

    def progress(self, episodes_started: int, steps: int) -> None:
        """Advance the bar; cheap enough to call every step (only episode changes touch tqdm)."""
        if self.quiet or episodes_started == self._bar_episodes:
            return
        if self._bar is None:
            from tqdm import tqdm
            self._bar = tqdm(total=self.total_episodes, unit="ep", file=sys.stderr, initial=self._bar_episodes,
                             dynamic_ncols=True, smoothing=0.05, desc=self.exp_name)
        self._bar.set_postfix_str("steps={}".format(int(steps)), refresh=False)
        self._bar.update(int(episodes_started) - self._bar_episodes)
        self._bar_episodes = int(episodes_started)

    # ---------------------------------------------------------------- learning curve
    def save_line(self, train_step: int, episodes: int, mean_reward: float,
                  agent_means: Optional[Sequence[float]] = None,
                  seconds: Optional[float] = None) -> str:
        """Print the original's save line and record the curve point.

        seconds: None measures the time since the previous save line (the original's t_start).
        Returns the printed line.
        """
        now = time.time()
        interval = now - self._t_last_save if seconds is None else float(seconds)
        self._t_last_save = now
        self.episodes_per_second = self.save_rate / interval if interval > 0 else float("nan")
        if agent_means is not None:
            agent_means = [float(m) for m in agent_means]
            if len(agent_means) != self.n_agents:
                raise ValueError("agent_means has {} values for {} agents".format(
                    len(agent_means), self.n_agents))
        show_agents = agent_means is not None and (
            self.num_adversaries is None or self.num_adversaries > 0)
        line = format_save_line(train_step, episodes, mean_reward, interval,
                                agent_means if show_agents else None)
        self.message(line)

        self.final_ep_rewards.append(float(mean_reward))
        if agent_means is not None:
            self.final_ep_ag_rewards.extend(agent_means)
        self._curve_rows.append((int(episodes), int(train_step), float(mean_reward),
                                 agent_means, now - self._t0, interval))
        return line

    def restore_curves(self, final_ep_rewards, final_ep_ag_rewards, rows=None) -> None:
        """Continue the curves of a restored run (its pickles' lists and, when saved, its CSV rows
        with steps and wall times; the wall clock continues from its last row)."""
        self.final_ep_rewards = [float(r) for r in final_ep_rewards]
        self.final_ep_ag_rewards = [float(r) for r in final_ep_ag_rewards]
        rows = [tuple(r) for r in rows or []]
        self._curve_rows = rows if len(rows) <= len(self.final_ep_rewards) else []
        if self._curve_rows and self._curve_rows[-1][4] is not None:
            self._t0 = time.time() - float(self._curve_rows[-1][4])

    def curve_rows(self) -> List[tuple]:
        """The rows of the curve CSV: (episodes, steps, mean, agent means, wall s, interval s)."""
        return self._rows()

    def _rows(self) -> List[tuple]:
        """Curve rows, with points known only from the lists (a restored run's) filled in.

        Those earlier points get episodes = (index + 1) * save_rate, the original's spacing, and
        blank steps and times.
        """
        missing = len(self.final_ep_rewards) - len(self._curve_rows)
        if missing <= 0:
            return list(self._curve_rows)
        n, ag = self.n_agents, self.final_ep_ag_rewards
        early = []
        for k in range(missing):
            means = ag[k * n:(k + 1) * n] if len(ag) >= (k + 1) * n else None
            early.append(((k + 1) * self.save_rate, None, self.final_ep_rewards[k], means, None, None))
        return early + list(self._curve_rows)

    def write_curves(self) -> None:
        """Write the pickles (original structure), the curve CSV and the metrics CSV."""
        if not self._swept:  # what a killed run left half-written, once per run
            fileio.remove_stale_temporaries(self.plots_dir, [self.exp_name + "_*"])
            self._swept = True
        fileio.write_pickle(self.path("_rewards.pkl"), list(self.final_ep_rewards))
        fileio.write_pickle(self.path("_agrewards.pkl"), list(self.final_ep_ag_rewards))
        fileio.write_text(self.path("_curve.csv"), self._curve_csv())
        self.flush_metrics()

    def _curve_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        agents = ["agent_{}_mean_reward".format(i) for i in range(self.n_agents)]
        w.writerow(["episodes", "steps", "mean_episode_reward"] + agents
                   + ["wall_time_s", "interval_s"])
        for episodes, steps, mean, ag, wall, interval in self._rows():
            ag_cells = [repr(a) for a in ag] if ag is not None else [""] * self.n_agents
            times = ["" if t is None else "{:.3f}".format(t) for t in (wall, interval)]
            w.writerow([episodes, "" if steps is None else steps, repr(mean)] + ag_cells + times)
        return buf.getvalue()

    def write_plot(self) -> Optional[str]:
        """PNG of the learning curve; returns its path (None before the first save)."""
        if not self.final_ep_rewards:
            return None
        from maddpg_tf2.plot import plot_curves
        out = self.path("_curve.png")
        episodes = [row[0] for row in self._rows()]
        plot_curves({self.exp_name: self.final_ep_rewards}, self.save_rate, out,
                    title=self.exp_name, episodes={self.exp_name: episodes})
        self.artifact(out, "curves")
        return out

    def artifact(self, path, folder: str) -> None:
        """A file the trackers keep with the run (nothing without --track)."""
        if self._tracker is not None:
            self._tracker.artifact(path, folder)

    # ---------------------------------------------------------------- scalars
    def scalars(self, metrics: Dict[str, float], step: int) -> None:
        """Namespaced scalars to TensorBoard (when enabled) and the metrics CSV."""
        step = int(step)
        clean = {str(k): float(v) for k, v in metrics.items()}
        for name, value in clean.items():
            self._metric_rows.append((step, name, value))
        if self.tensorboard_dir is not None:
            self._write_tensorboard(clean, step)
        if self._tracker is not None:
            self._tracker.scalars(clean, step)

    def _write_tensorboard(self, metrics: Dict[str, float], step: int) -> None:
        import tensorflow as tf  # late: importing TF costs seconds and most runs need no TB
        if self._tb_writer is None:
            os.makedirs(self.tensorboard_dir, exist_ok=True)
            self._tb_writer = tf.summary.create_file_writer(self.tensorboard_dir)
            # tf.summary.scalar lives in the tensorboard package, which TF no longer pulls in;
            # tf.summary.write with the scalars plugin's tag is what it writes, in core TF.
            meta = tf.compat.v1.SummaryMetadata()
            meta.plugin_data.plugin_name = "scalars"
            self._tb_meta = meta.SerializeToString()
        with self._tb_writer.as_default():
            for name, value in metrics.items():
                tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                                 metadata=self._tb_meta)

    def flush_metrics(self) -> None:
        """Rewrite the metrics CSV whole (atomic) and flush TensorBoard."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["step", "name", "value"])
        for step, name, value in self._metric_rows:
            w.writerow([step, name, repr(value)])
        fileio.write_text(self.path("_metrics.csv"), buf.getvalue())
        if self._tb_writer is not None:
            self._tb_writer.flush()

    # ---------------------------------------------------------------- end
    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._tb_writer is not None:
            self._tb_writer.flush()
            self._tb_writer.close()
            self._tb_writer = None
        if self._tracker is not None:
            self._tracker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
