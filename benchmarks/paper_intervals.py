"""benchmarks/PAPER.md's numbers as interval estimates: IQM and mean over seeds, each with its 95%
stratified bootstrap interval, through the same statistics code as maddpg-sweep's report
(maddpg_tf2/sweep/stats.py), from the per-seed results in benchmarks/paper/results/<variant>/.

Those JSONs are the finished runs of exactly the commands in PAPER.md (and in
configs/paper/sweeps/*.yaml; seeded runs are bit-reproducible, so a sweep of those files gives the
same per-seed values). Also, for each claim PAPER.md makes by comparing two rows (MADDPG against
DDPG, one setting against another), the difference of their means with its 95% interval: the claim
stands where the interval excludes 0.

    python benchmarks/paper_intervals.py            # print the section
    python benchmarks/paper_intervals.py --write    # and put it into PAPER.md (between its markers)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, "compat"), HERE]

from maddpg_tf2.sweep import stats  # noqa: E402
from paper_table import PAPER_MD, RESULTS, ROW_BY_ID, TASKS  # noqa: E402

BEGIN = "<!-- intervals: begin (written by benchmarks/paper_intervals.py --write) -->"
END = "<!-- intervals: end -->"

# The headline metric of each task: the paper's number (or, for cooperative navigation, its two).
HEADLINE = {"sl": ["reached_target_rate"], "cn": ["landmark_min_dist_sum_step_mean", "collisions_per_episode_pairs"],
            "pd": ["good_success_rate", "adversary_success_rate"], "pp": ["touches_per_episode"],
            "cc": ["bob_minus_eve_success"]}
# Comparisons PAPER.md draws: (metric, variant A, row A, variant B, row B, the claim in words).
CLAIMS = [
    ("bob_minus_eve_success", "default", "cc_maddpg", "default", "cc_ddpg",
     "covert communication: MADDPG Alice/Bob beat Eve by more than DDPG Alice/Bob (paper 52.4% vs 25.1%)"),
    ("bob_minus_eve_success", "cc-actor-lr1e-3", "cc_maddpg", "cc-actor-lr1e-3", "cc_ddpg",
     "covert communication with --actor-lr 1e-3: MADDPG above DDPG"),
    ("bob_minus_eve_success", "cc-actor-lr1e-3", "cc_maddpg", "default", "cc_maddpg",
     "covert communication: --actor-lr 1e-3 raises MADDPG's margin over Eve"),
    ("reached_target_rate", "default", "sl_maddpg", "default", "sl_ddpg",
     "cooperative communication: MADDPG's listener reaches the target more often than DDPG's"),
    ("reached_target_rate", "sl-linear-actor-lr1e-3", "sl_maddpg", "default", "sl_maddpg",
     "cooperative communication: the paper's linear reward with --actor-lr 1e-3 (configs/paper) beats the original settings"),
    ("reached_target_rate", "sl-linear-actor-lr1e-3", "sl_maddpg", "sl-linear-reward", "sl_maddpg",
     "cooperative communication: --actor-lr 1e-3 helps on top of the linear reward"),
    ("good_success_rate", "default", "pd_maddpg", "default", "pd_d_vs_d",
     "physical deception: MADDPG agents succeed more often than DDPG agents (both sides MADDPG vs both DDPG)"),
    ("adversary_success_rate", "default", "pd_d_vs_m", "default", "pd_maddpg",
     "physical deception: a MADDPG adversary succeeds more often against DDPG agents than against MADDPG agents"),
    ("touches_per_episode", "default", "pp_m_vs_d", "default", "pp_d_vs_m",
     "predator-prey: MADDPG predators vs DDPG prey touch more than DDPG predators vs MADDPG prey (paper 16.1 vs 10.3)"),
    ("landmark_min_dist_sum_step_mean", "default", "cn_ddpg", "default", "cn_maddpg",
     "cooperative navigation: MADDPG's agents stay nearer the landmarks than DDPG's (distance DDPG minus MADDPG > 0)"),
    ("collisions_per_episode_pairs", "default", "cn_ddpg", "default", "cn_maddpg",
     "cooperative navigation: MADDPG collides less than DDPG (collisions DDPG minus MADDPG > 0)"),
]


def load() -> Dict[str, Dict[str, List[dict]]]:
    out: Dict[str, Dict[str, List[dict]]] = {}
    for variant in sorted(os.listdir(RESULTS)):
        folder = os.path.join(RESULTS, variant)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".json"):
                with open(os.path.join(folder, name)) as f:
                    rec = json.load(f)
                out.setdefault(variant, {}).setdefault(rec["row"], []).append(rec)
    return out


def values(recs: List[dict], metric: str) -> List[float]:
    got = []
    for rec in sorted(recs, key=lambda r: r["seed"]):
        entry = rec["summary"]["metrics"].get(metric)
        if entry is not None and entry.get("mean") is not None:
            got.append(float(entry["mean"]))
    return got


def fmt(metric: str, x: float) -> str:
    return f"{100 * x:.1f}%" if ("_rate" in metric or metric.endswith("_success")) else f"{x:.3g}"


def cell(metric: str, e: stats.Estimate) -> str:
    return f"{fmt(metric, e.value)} [{fmt(metric, e.low)}, {fmt(metric, e.high)}]"


def section(results) -> str:
    lines = [BEGIN, "", "## Interval estimates (IQM and mean with 95% stratified bootstrap intervals)", "",
             "The same per-seed results as the tables below, reported as the RL evaluation literature asks "
             "(Agarwal et al. 2021): per row, the interquartile mean (IQM, the mean of the middle 50% of the "
             "seeds) and the mean, each with a 95% percentile interval from a stratified bootstrap over seeds "
             f"({stats.REPS} resamples, seed {stats.SEED}), by `python benchmarks/paper_intervals.py --write` "
             "through maddpg-sweep's statistics code (`maddpg_tf2/sweep/stats.py`). With 3 seeds the IQM "
             "cuts nothing (it is the mean) and the interval only spans the three values' bootstrap; with 10 "
             "seeds the IQM drops the 2 best and 2 worst. `in CI` says whether the paper's figure lies inside "
             "the mean's interval. With 3 seeds a percentile bootstrap interval is too narrow (it never reaches "
             "past the three values), so the 3-seed rows' intervals, and any claim resting on them, are "
             "indicative only; the success/failure tasks' headline rows have 10 seeds, as in the paper. The "
             "same runs as sweeps: `maddpg-sweep configs/paper/sweeps/<file>.yaml` (the sweep's report uses "
             "this code too).",
             ""]
    for task, metrics in HEADLINE.items():
        for metric in metrics:
            lines += [f"**{TASKS[task]['name']}** (`{TASKS[task]['scenario']}`), `{metric}`:", "",
                      "| variant | row | seeds | IQM [95% CI] | mean [95% CI] | paper | paper in CI |",
                      "|---|---|---|---|---|---|---|"]
            for variant, rows in results.items():
                for row_id, recs in rows.items():
                    row = ROW_BY_ID.get(row_id)
                    if row is None or row["task"] != task:
                        continue
                    vals = values(recs, metric)
                    if not vals:
                        continue
                    iqm, mean = stats.interval([vals], "iqm"), stats.interval([vals], "mean")
                    paper = row.get("paper", {}).get(metric)
                    inside = "" if paper is None else ("yes" if mean.contains(paper) else "no")
                    lines.append(f"| `{variant}` | {row['label']} | {len(vals)} | {cell(metric, iqm)} | "
                                 f"{cell(metric, mean)} | {'' if paper is None else fmt(metric, paper)} | {inside} |")
            lines.append("")
    lines += ["**The comparisons PAPER.md draws**, as the difference of the two rows' means with its 95% "
              "interval (each row's seeds resampled on their own); the claim is supported where the interval "
              "excludes 0:", "", "| claim | metric | A - B [95% CI] | seeds A, B | supported |", "|---|---|---|---|---|"]
    for metric, va, ra, vb, rb, words in CLAIMS:
        a, b = values(results.get(va, {}).get(ra, []), metric), values(results.get(vb, {}).get(rb, []), metric)
        if not a or not b:
            continue
        d = stats.difference(a, b, "mean")
        verdict = "yes" if d.low > 0 else ("no: reversed" if d.high < 0 else "no: the interval holds 0")
        lines.append(f"| {words} (A = `{va}` {ra}, B = `{vb}` {rb}) | `{metric}` | {cell(metric, d)} | "
                     f"{len(a)}, {len(b)} | {verdict} |")
    lines += ["", END]
    return "\n".join(lines)


def write(text: str) -> None:
    with open(PAPER_MD, encoding="utf-8") as f:
        doc = f.read()
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
    else:
        doc = doc.replace("\n## Results\n", "\n" + text + "\n\n## Results\n", 1)
    tmp = PAPER_MD + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(doc)
    os.replace(tmp, PAPER_MD)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="put the section into benchmarks/PAPER.md")
    args = p.parse_args(argv)
    text = section(load())
    print(text)
    if args.write:
        write(text)
        print("wrote", PAPER_MD, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
