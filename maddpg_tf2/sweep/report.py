"""A sweep's results: DIR/results.csv (one row per finished trial) and DIR/report.md with, per grid
point, the seeds, mean and IQM with 95% stratified bootstrap intervals, the per-seed values, and a
plot beside it (DIR/report.png: interval estimates and the performance profile)."""
from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Dict, List, Optional, Sequence

from maddpg_tf2 import fileio
from maddpg_tf2.sweep import stats


def load_results(out: str, trials) -> List[dict]:
    """The result.json of every finished trial, in the sweep's order."""
    from maddpg_tf2.sweep.trial import RESULT, trial_dir

    rows = []
    for t in trials:
        path = os.path.join(trial_dir(out, t.name), RESULT)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                rows.append(json.load(f))
    return rows


def flatten(obj, prefix: str = "") -> Dict[str, object]:
    """Nested dicts as dotted keys (summary.metrics.x.mean); lists joined with ' | '."""
    out: Dict[str, object] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list):
        out[prefix] = " | ".join(str(v) for v in obj)
    else:
        out[prefix] = obj
    return out


def results_csv(results: List[dict], grid_keys: Sequence[str]) -> str:
    head = ["trial", "config", *grid_keys, "seed", "wall_s", "resumed", "final_reward", "metric_name", "metric"]
    rows, extra = [], []
    for r in results:
        row = {"trial": r["trial"], "config": r["config"], "seed": r["seed"], "wall_s": r["wall_s"],
               "resumed": int(r.get("resumed") or 0),  # times it continued from its checkpoint after a stop
               "final_reward": r["final_reward"], "metric_name": r["metric_name"], "metric": r["metric"]}
        row.update({k: r["point"].get(k) for k in grid_keys})
        for k, v in flatten(r.get("summary") or {}, "summary").items():
            row[k] = v
            if k not in extra:
                extra.append(k)
        rows.append(row)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=head + extra, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


def by_config(results: List[dict], trials) -> Dict[str, List[dict]]:
    """Finished results grouped by grid point, points in the sweep's order."""
    order: Dict[str, List[dict]] = {}
    for t in trials:
        order.setdefault(t.config_name, [])
    for r in results:
        order.setdefault(r["config"], []).append(r)
    return order


def _fmt(x: Optional[float]) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.4g}"


def cell(e: stats.Estimate) -> str:
    return f"{_fmt(e.value)} [{_fmt(e.low)}, {_fmt(e.high)}]"


def summarise_point(values: Sequence[float]) -> Optional[dict]:
    """n, mean and IQM with their intervals of one grid point's per-seed values (one stratum)."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return None
    return {"n": len(vals), "mean": stats.interval([vals], "mean"), "iqm": stats.interval([vals], "iqm")}


def report_md(sweep, results: List[dict], total: int, plot_name: Optional[str]) -> str:
    metric = sweep.metric
    lines = [f"# Sweep report: {os.path.basename(sweep.path)}", "",
             f"Metric: `{metric}`" + (" (the last point of the learning curve: mean episode reward over the "
                                      "last --save-rate episodes)" if metric == "final_reward" else
                                      " (the benchmark summary's mean over evaluation episodes)") + ".",
             f"Finished trials: {len(results)} of {total}. Seeds: {', '.join(map(str, sweep.seeds))}.", "",
             "Per grid point: the mean and the interquartile mean (IQM: the mean of the middle 50% of the "
             "seeds' values) with 95% percentile intervals from a stratified bootstrap over seeds "
             f"({stats.REPS} resamples, seed {stats.SEED}; Agarwal et al. 2021). With fewer than 4 seeds the "
             "IQM cuts nothing and equals the mean; with one seed the interval has no width.", "",
             "| grid point | seeds | mean [95% CI] | IQM [95% CI] | per seed |", "|---|---|---|---|---|"]
    groups = by_config(results, sweep.trials)
    for config, rows in groups.items():
        rows = sorted(rows, key=lambda r: r["seed"])
        s = summarise_point([r["metric"] for r in rows])
        per_seed = ", ".join(f"s{r['seed']}: {_fmt(r['metric'])}" for r in rows) or "none finished"
        if s is None:
            lines.append(f"| `{config}` | 0 | n/a | n/a | {per_seed} |")
        else:
            lines.append(f"| `{config}` | {s['n']} | {cell(s['mean'])} | {cell(s['iqm'])} | {per_seed} |")
    missing = [r["trial"] for r in results if r["metric"] is None]
    if missing:
        lines += ["", f"`{metric}` is not in the benchmark summary of: {', '.join(missing)} "
                  f"(see results.csv for the fields there)."]
    if plot_name:
        lines += ["", f"![interval estimates and performance profile]({plot_name})", "",
                  "Left: IQM and mean with their 95% intervals. Right: the performance profile, the fraction "
                  f"of runs whose `{metric}` exceeds each threshold, with pointwise 95% bands."]
    lines += ["", "Every trial's commands (to run one alone) are in trials/<trial>/commands.txt; all values "
              "are in results.csv.", ""]
    return "\n".join(lines)


def plot(sweep, results: List[dict], path: str) -> bool:
    """report.png: interval estimates per grid point (left) and performance profiles (right)."""
    import matplotlib.pyplot as plt

    fig = figure(sweep, results)
    if fig is None:
        return False
    with fileio.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")  # the legends below included
    plt.close(fig)
    return True


def figure(sweep, results: List[dict]):
    """The report's matplotlib figure, or None when no trial has a metric."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    groups = [(c, [float(r["metric"]) for r in rows if r["metric"] is not None])
              for c, rows in by_config(results, sweep.trials).items()]
    groups = [(c, v) for c, v in groups if v]
    if not groups:
        return None
    # The legends go below the axes (the figure grows to hold them): inside, they covered the bars and
    # the curves.
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 1.2 + 0.5 * len(groups) + 1.5))
    for i, (c, vals) in enumerate(groups):
        for j, (agg, colour) in enumerate((("iqm", "C0"), ("mean", "C1"))):
            e = stats.interval([vals], agg)
            y = i + (0.15 if j else -0.15)
            ax.plot([e.low, e.high], [y, y], color=colour, lw=4, alpha=0.6, label=agg.upper() if i == 0 else None)
            ax.plot([e.value], [y], "|", color="k", ms=10)
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([c for c, _ in groups], fontsize=8)
    ax.invert_yaxis()  # the first grid point on top, as in the table
    ax.set_xlabel(sweep.metric)
    ax.set_title("95% stratified bootstrap intervals")
    every = np.concatenate([v for _, v in groups])
    lo, hi = float(every.min()), float(every.max())
    pad = (hi - lo) * 0.05 or 1.0
    taus = np.linspace(lo - pad, hi + pad, 101)
    for i, (c, vals) in enumerate(groups):
        prof, low, high = stats.profile_band([vals], taus)
        bx.plot(taus, prof, color=f"C{i % 10}", label=c)
        bx.fill_between(taus, low, high, color=f"C{i % 10}", alpha=0.15)
    bx.set_xlabel(f"threshold tau on {sweep.metric}")
    bx.set_ylabel("fraction of runs > tau")
    bx.set_title("performance profile")
    fig.tight_layout()
    _legend_below(fig, ax, fontsize=8, ncol=2)
    _legend_below(fig, bx, fontsize=7, ncol=min(2, len(groups)))
    return fig


def _legend_below(fig, ax, **kwargs) -> None:
    """The axes' legend under its x label and ticks, whatever the figure's height (savefig with
    bbox_inches="tight" keeps it in the picture)."""
    renderer = fig.canvas.get_renderer()
    bottom = ax.xaxis.get_tightbbox(renderer).y0  # display units: the lowest of ticks and label
    below = ax.transAxes.inverted().transform((0.0, bottom - 4.0))[1]
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, below), frameon=False, **kwargs)


def write(out: str, sweep) -> List[dict]:
    """results.csv, report.md and report.png from every finished trial; returns the results."""
    results = load_results(out, sweep.trials)
    fileio.write_text(os.path.join(out, "results.csv"), results_csv(results, sweep.grid_keys))
    has_plot = plot(sweep, results, os.path.join(out, "report.png"))
    fileio.write_text(os.path.join(out, "report.md"),
                      report_md(sweep, results, len(sweep.trials), "report.png" if has_plot else None))
    return results
