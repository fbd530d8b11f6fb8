"""The MADDPG family's comparison (benchmarks/FAMILY.md) from the sweeps of benchmarks/family/*.yaml.

    maddpg-sweep benchmarks/family/<scenario>.yaml --out SWEEPS/family_<scenario>    (for each scenario)
    python3 benchmarks/family_report.py --sweeps SWEEPS [--crossplay] [--perturb EPS ...] [--jobs 2] [--keep]

Reads every finished trial (results, learning curves, the spread trials' --real-q-log files) and
writes benchmarks/family/family.json, family_curves.png and family_overestimation.png, and prints the
tables of FAMILY.md. --crossplay benchmarks each trained team against the opponents trained beside
another rule (same seed; `--adversaries-from`), --perturb against its own opponents with their actions
perturbed at acting time (`--perturb-opponents`, worst case and random); both are cached in
benchmarks/family/crossplay.json, so a rerun only runs what is missing.

Intervals: mean and IQM over seeds with 95% percentile intervals from a stratified bootstrap
(maddpg_tf2/sweep/stats.py, the same as the sweep reports); "vs maddpg" is the difference of means
with its bootstrap interval (the two groups resampled independently).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "family")
RULES = ("maddpg", "matd3", "mmmaddpg", "ddpg")
# scenario key -> (sweep file, title, the grid key that carries the rule, the varying team)
SCENARIOS = {
    "spread": ("spread.yaml", "cooperative navigation (simple_spread)", "good-policy", "good"),
    "speaker_listener": ("speaker_listener.yaml", "cooperative communication (speaker_listener, configs/paper)",
                         "good-policy", "good"),
    "adversary": ("adversary.yaml", "physical deception (simple_adversary), good agents vs MADDPG adversary",
                  "good-policy", "good"),
    "tag": ("tag.yaml", "predator-prey (simple_tag), predators vs MADDPG prey", "adv-policy", "adversaries"),
}
# extra benchmark numbers reported beside the sweep's metric
# the numbers the robustness tables show: the team's own objective against the opponents (physical
# deception: a good agent at the goal and the adversary not; predator-prey: touches)
ROBUST = {"adversary": ("deception_success_rate", "good_success_rate", "adversary_success_rate"),
          "tag": ("touches_per_episode",)}
EXTRA = {"spread": ("collisions_per_episode_pairs", "occupied_landmarks_final"),
         "adversary": ("adversary_success_rate",), "speaker_listener": ("listener_target_dist_final",),
         "tag": ("episodes_with_touch_rate",)}


def trials_of(sweeps, key):
    from maddpg_tf2.sweep.spec import expand, load

    spec = load(os.path.join(OUT, SCENARIOS[key][0]))
    return spec, expand(spec), os.path.join(sweeps, f"family_{key}")


def rule_of(trial, key):
    return trial.point[SCENARIOS[key][2]]


def finished(sweeps, key):
    """{rule: [result dicts by seed]} of the finished trials, with their folders."""
    from maddpg_tf2.sweep.report import load_results
    from maddpg_tf2.sweep.trial import trial_dir

    spec, trials, out = trials_of(sweeps, key)
    if not os.path.isdir(out):
        return spec, {}
    by_name = {t.name: t for t in trials}
    found = {}
    for r in load_results(out, trials):
        t = by_name[r["trial"]]
        r["dir"] = trial_dir(out, t.name)
        found.setdefault(rule_of(t, key), []).append(r)
    return spec, {rule: sorted(found[rule], key=lambda r: r["seed"]) for rule in RULES if rule in found}


def estimate(values):
    from maddpg_tf2.sweep import stats

    v = [float(x) for x in values]
    return {"n": len(v), "mean": stats.interval([v], "mean").__dict__, "iqm": stats.interval([v], "iqm").__dict__,
            "values": v}


def versus(values, base):
    from maddpg_tf2.sweep import stats

    return stats.difference([float(x) for x in values], [float(x) for x in base], "mean").__dict__


def curve(result):
    path = os.path.join(result["dir"], "curves", f"{result['trial']}_curve.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [int(r["episodes"]) for r in rows], [float(r["mean_episode_reward"]) for r in rows]


def q_rows(result):
    from maddpg_tf2.real_q import read_rows

    path = os.path.join(result["dir"], "curves", f"{result['trial']}_q_values.csv")
    return read_rows(path) if os.path.isfile(path) else []


def summarise(sweeps):
    report = {}
    for key in SCENARIOS:
        spec, by_rule = finished(sweeps, key)
        if not by_rule:
            continue
        entry = {"metric": spec.metric, "rules": {}}
        base = [r["metric"] for r in by_rule.get("maddpg", [])]
        for rule, results in by_rule.items():
            row = {"seeds": [r["seed"] for r in results], "metric": estimate([r["metric"] for r in results]),
                   "final_reward": estimate([r["final_reward"] for r in results]),
                   "wall_s": [r["wall_s"] for r in results]}
            for name in EXTRA.get(key, ()):
                vals = [r["summary"]["metrics"][name]["mean"] for r in results if r.get("summary")]
                if vals:
                    row[name] = estimate(vals)
            if rule != "maddpg" and len(base) > 1 and len(results) > 1:
                row["metric_vs_maddpg"] = versus([r["metric"] for r in results], base)
            row["summaries"] = [r["summary"]["metrics"] for r in results if r.get("summary")]
            row["curves"] = [curve(r) for r in results]
            q = [q_rows(r) for r in results]
            if any(q):
                row["q"] = q
            entry["rules"][rule] = row
        report[key] = entry
    return report


def overestimation(report):
    """Per rule: the last measure's estimate, true return and bias (means over agents) over seeds."""
    out = {}
    for rule, row in report.get("spread", {}).get("rules", {}).items():
        if "q" not in row:
            continue
        last = []
        for rows in row["q"]:
            if not rows:
                continue
            final = max(r[0] for r in rows)
            mine = [r for r in rows if r[0] == final]
            q, real = np.mean([r[3] for r in mine]), np.mean([r[4] for r in mine])
            last.append((final, q, real, q - real))
        if last:
            out[rule] = {"episodes": [x[0] for x in last], "estimate": estimate([x[1] for x in last]),
                         "true_return": estimate([x[2] for x in last]), "bias": estimate([x[3] for x in last]),
                         "relative_bias": estimate([x[3] / abs(x[2]) for x in last])}
    return out


# ----------------------------------------------------------------------------- playing other opponents
def bench_cmd(team_dir, trial_name, opponents_dir, varying, seed, out_dir, exp, extra=()):
    """A benchmark of the varying team of `team_dir`'s run against the opponents of `opponents_dir`'s."""
    good, adversaries = (team_dir, opponents_dir) if varying == "good" else (opponents_dir, team_dir)
    config = os.path.join(good, "config.yaml")
    cmd = ["maddpg-train", "--config", config, "--benchmark", "--load-dir", os.path.join(good, "policy"),
           "--benchmark-iters", "25000", "--num-envs", "40", "--seed", str(seed), "--quiet",
           "--benchmark-dir", out_dir, "--exp-name", exp, *extra]
    if adversaries != good:
        cmd += ["--adversaries-from", os.path.join(adversaries, "policy")]
    return cmd


def run_cached(jobs, cache_path, todo):
    cache = {}
    if os.path.isfile(cache_path):
        with open(cache_path) as f:
            cache = json.load(f)
    missing = [(k, cmd, out_dir) for k, cmd, out_dir in todo if k not in cache]

    def one(item):
        k, cmd, out_dir = item
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        exp = cmd[cmd.index("--exp-name") + 1]
        with open(os.path.join(out_dir, f"{exp}_summary.json")) as f:
            return k, {m: v["mean"] for m, v in json.load(f)["metrics"].items()}

    with ThreadPoolExecutor(jobs) as pool:
        for k, metrics in pool.map(one, missing):
            cache[k] = metrics
            tmp = cache_path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(cache, f, indent=1, sort_keys=True)
            os.replace(tmp, cache_path)
            print(k, metrics, flush=True)
    return cache


def crossplay_todo(sweeps, key, scratch):
    _, by_rule = finished(sweeps, key)
    varying = SCENARIOS[key][3]
    dirs = {(rule, r["seed"]): r["dir"] for rule, rs in by_rule.items() for r in rs}
    todo = []
    for (x, s), team in sorted(dirs.items()):
        for y in RULES:
            if y != x and (y, s) in dirs:
                k = f"{key}/{x}/vs/{y}/s{s}"
                exp = k.replace("/", "_")
                todo.append((k, bench_cmd(team, exp, dirs[(y, s)], varying, s, scratch, exp), scratch))
    return todo


def perturb_todo(sweeps, key, scratch, epsilons, kinds=("worst", "random")):
    _, by_rule = finished(sweeps, key)
    varying = SCENARIOS[key][3]
    todo = []
    for rule, rs in by_rule.items():
        if rule == "ddpg":
            continue  # a ddpg team's critics see only their own actions: no worst case (refused)
        for r in rs:
            for eps in epsilons:
                for kind in kinds:
                    k = f"{key}/{rule}/perturb/{kind}/{eps:g}/s{r['seed']}"
                    exp = k.replace("/", "_")
                    extra = ["--perturb-opponents", repr(float(eps)), "--perturb-kind", kind,
                             "--perturb-team", varying]
                    todo.append((k, bench_cmd(r["dir"], exp, r["dir"], varying, r["seed"], scratch, exp, extra),
                                 scratch))
    return todo


# ----------------------------------------------------------------------------- M3DDPG's training eps
EPS_SWEEP = "adversary_eps"  # benchmarks/family/adversary_eps.yaml: mmmaddpg good agents at larger --adv-eps


def eps_results(sweeps):
    """{adv_eps: [result dicts by seed]} of the finished trials of the eps sweep (empty if not run)."""
    from maddpg_tf2.sweep.report import load_results
    from maddpg_tf2.sweep.spec import expand, load
    from maddpg_tf2.sweep.trial import trial_dir

    out = os.path.join(sweeps, f"family_{EPS_SWEEP}")
    if not os.path.isdir(out):
        return {}
    trials = expand(load(os.path.join(OUT, f"{EPS_SWEEP}.yaml")))
    by_name = {t.name: t for t in trials}
    found = {}
    for r in load_results(out, trials):
        r["dir"] = trial_dir(out, r["trial"])
        found.setdefault(float(by_name[r["trial"]].point["adv-eps"]), []).append(r)
    return {e: sorted(rs, key=lambda r: r["seed"]) for e, rs in sorted(found.items())}


def eps_todo(sweeps, scratch, epsilons, kinds=("worst", "random")):
    todo = []
    for train_eps, rs in eps_results(sweeps).items():
        for r in rs:
            for eps in epsilons:
                for kind in kinds:
                    k = f"{EPS_SWEEP}/{train_eps:g}/perturb/{kind}/{eps:g}/s{r['seed']}"
                    exp = k.replace("/", "_")
                    extra = ["--perturb-opponents", repr(float(eps)), "--perturb-kind", kind, "--perturb-team", "good"]
                    todo.append((k, bench_cmd(r["dir"], exp, r["dir"], "good", r["seed"], scratch, exp, extra), scratch))
    return todo


def eps_table(sweeps, report, perturbed):
    """Physical deception's deception success of MADDPG and of M3DDPG at each training --adv-eps, unperturbed
    and against perturbed adversaries."""
    if "adversary" not in report:
        return ""
    metric = "deception_success_rate"
    eps = sorted({float(k.split("/")[4]) for k in perturbed if k.startswith("adversary/")})
    rows = [("maddpg", None, report["adversary"]["rules"].get("maddpg"), "adversary/maddpg"),
            ("mmmaddpg", 1e-3, report["adversary"]["rules"].get("mmmaddpg"), "adversary/mmmaddpg")]
    for train_eps, rs in eps_results(sweeps).items():
        rows.append(("mmmaddpg", train_eps, {"summaries": [r["summary"]["metrics"] for r in rs if r.get("summary")]},
                     f"{EPS_SWEEP}/{train_eps:g}"))
    lines = ["| good agents | training `--adv-eps` | seeds | unperturbed [95% CI] | "
             + " | ".join(f"worst {e:g} | random {e:g}" for e in eps) + " |", "|---|---|---|---|" + "---|---|" * len(eps)]
    for rule, train_eps, row, prefix in rows:
        if not row:
            continue
        vals = [m[metric]["mean"] for m in row.get("summaries", []) if metric in m]
        if not vals:
            continue
        cells = [fmt(estimate(vals)["mean"])]
        for e in eps:
            for kind in ("worst", "random"):
                got = [v[metric] for k, v in perturbed.items() if k.startswith(f"{prefix}/perturb/{kind}/{e:g}/")]
                cells.append(f"{np.mean(got):.3g}" if got else "")
        shown = "" if train_eps is None else f"{train_eps:g}"
        lines.append(f"| {rule} | {shown} | {len(vals)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures
def plot_curves(report, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = [k for k in SCENARIOS if k in report]
    cols = min(2, len(keys))
    rows = (len(keys) + cols - 1) // cols
    fig = Figure(figsize=(5.8 * cols, 4.2 * rows), dpi=100)
    FigureCanvasAgg(fig)
    for j, key in enumerate(keys):
        ax = fig.add_subplot(rows, cols, j + 1)
        for rule, row in report[key]["rules"].items():
            n = min(len(c[1]) for c in row["curves"])
            x = np.array(row["curves"][0][0][:n])
            ys = np.array([c[1][:n] for c in row["curves"]])
            line, = ax.plot(x, ys.mean(axis=0), label=f"{rule} ({len(ys)} seeds)")
            ax.fill_between(x, ys.min(axis=0), ys.max(axis=0), color=line.get_color(), alpha=0.15)
        ax.set_title(SCENARIOS[key][1], fontsize="small")
        ax.set_xlabel("episodes")
        ax.set_ylabel("mean episode reward (all agents)" if j % cols == 0 else "")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="x-small", loc="lower right")
    fig.tight_layout()
    fig.savefig(path)


def plot_overestimation(report, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for rule, row in report.get("spread", {}).get("rules", {}).items():
        runs = [rows for rows in row.get("q", []) if rows]
        if not runs:
            continue
        eps = sorted({r[0] for r in runs[0]})
        est = np.array([[np.mean([r[3] for r in rows if r[0] == e]) for e in eps] for rows in runs])
        real = np.array([[np.mean([r[4] for r in rows if r[0] == e]) for e in eps] for rows in runs])
        line, = left.plot(eps, est.mean(0), marker=".", label=f"{rule}: critic Q")
        left.plot(eps, real.mean(0), marker=".", linestyle="--", color=line.get_color(), label=f"{rule}: true return")
        bias = est - real
        right.plot(eps, bias.mean(0), marker=".", color=line.get_color(), label=f"{rule} ({len(runs)} seeds)")
        right.fill_between(eps, bias.min(0), bias.max(0), color=line.get_color(), alpha=0.15)
    left.set_title("simple_spread: critic estimate vs true discounted return", fontsize="small")
    right.set_title("bias = Q - true return (mean over seeds, band: min-max)", fontsize="small")
    for ax in (left, right):
        ax.set_xlabel("episodes")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="x-small")
    right.axhline(0.0, color="black", linewidth=0.8)
    fig.tight_layout()
    fig.savefig(path)


# ----------------------------------------------------------------------------- tables
def fmt(e, digits=3):
    return f"{e['value']:.{digits}g} [{e['low']:.{digits}g}, {e['high']:.{digits}g}]"


def own_metric(report, key, rule, metric):
    """The mean over seeds of a benchmark number of the rule's own runs (against the opponents it trained with)."""
    row = report[key]["rules"][rule]
    if metric == report[key]["metric"]:
        return row["metric"]["mean"]["value"]
    vals = [m[metric]["mean"] for m in row.get("summaries", []) if metric in m]
    return float(np.mean(vals)) if vals else None


def tables(report, over, cross, perturbed):
    """The markdown tables, as {section: text} (sections: scenarios, overestimation, crossplay, perturbed)."""
    sections = {}
    lines = []
    for key, entry in report.items():
        extra = [n for n in EXTRA.get(key, ()) if any(n in r for r in entry["rules"].values())]
        show_final = entry["metric"] != "final_reward"
        lines += ["", f"### {SCENARIOS[key][1]}", "",
                  f"| rule | seeds | `{entry['metric']}` mean [95% CI] | IQM [95% CI] | vs maddpg (mean) | "
                  + " | ".join(f"`{n}` mean" for n in extra) + (" | final reward mean" if show_final else "")
                  + " | per seed |",
                  "|---|---|---|---|---|" + "---|" * len(extra) + ("---|" if show_final else "") + "---|"]
        for rule, row in entry["rules"].items():
            vs = fmt(row["metric_vs_maddpg"]) if "metric_vs_maddpg" in row else ""
            per = ", ".join(f"{v:.3g}" for v in row["metric"]["values"])
            ex = " | ".join(fmt(row[n]["mean"]) if n in row else "" for n in extra)
            final = f" {fmt(row['final_reward']['mean'], 4)} |" if show_final else ""
            lines.append(f"| {rule} | {row['metric']['n']} | {fmt(row['metric']['mean'])} | "
                         f"{fmt(row['metric']['iqm'])} | {vs} | {ex} |{final} {per} |")
    sections["scenarios"], lines = "\n".join(lines).strip(), []
    if over:
        lines += ["", "### Overestimation at the last measure (simple_spread, 25,000 episodes)", "",
                  "| rule | seeds | critic Q | true return | bias Q - return | bias / abs(return) |",
                  "|---|---|---|---|---|---|"]
        for rule, o in over.items():
            lines.append(f"| {rule} | {o['bias']['n']} | {fmt(o['estimate']['mean'])} | "
                         f"{fmt(o['true_return']['mean'])} | {fmt(o['bias']['mean'])} | "
                         f"{fmt(o['relative_bias']['mean'])} |")
    sections["overestimation"], lines = "\n".join(lines).strip(), []
    for key in ("adversary", "tag"):
        if key not in report or not cross:
            continue
        for metric in ROBUST[key]:
            lines += ["", f"### Cross-play, {SCENARIOS[key][1].split(',')[0]}: `{metric}`, the row's team against "
                      f"the opponents trained beside the column's rule (same seed; mean over seeds)", "",
                      "| team \\ opponents trained beside | " + " | ".join(RULES) + " | others' mean |",
                      "|---|" + "---|" * (len(RULES) + 1)]
            for x in RULES:
                if x not in report[key]["rules"]:
                    continue
                own = own_metric(report, key, x, metric)
                cells, others = [], []
                for y in RULES:
                    if y == x:
                        cells.append(f"**{own:.3g}**" if own is not None else "")
                        continue
                    vals = [v[metric] for k, v in cross.items() if k.startswith(f"{key}/{x}/vs/{y}/")]
                    cells.append(f"{np.mean(vals):.3g}" if vals else "")
                    others += vals
                tail = f"{np.mean(others):.3g}" if others else ""
                lines.append(f"| {x} | " + " | ".join(cells) + f" | {tail} |")
    sections["crossplay"], lines = "\n".join(lines).strip(), []
    if perturbed:
        lines += ["", "### Perturbed opponents: mean over seeds (eps: l2 size of each opponent's step)", ""]
        for key in ("adversary", "tag"):
            if key not in report:
                continue
            eps = sorted({float(k.split("/")[4]) for k in perturbed if k.startswith(key + "/")})
            if not eps:
                continue
            lines += [f"{SCENARIOS[key][1]}:", "",
                      "| rule | metric | none | " + " | ".join(f"worst {e:g} | random {e:g}" for e in eps) + " |",
                      "|---|---|---|" + "---|---|" * len(eps)]
            for rule in report[key]["rules"]:
                if rule == "ddpg":
                    continue
                for metric in ROBUST[key]:
                    own = own_metric(report, key, rule, metric)
                    cells = [f"{own:.3g}" if own is not None else ""]
                    for e in eps:
                        for kind in ("worst", "random"):
                            vals = [v[metric] for k, v in perturbed.items()
                                    if k.startswith(f"{key}/{rule}/perturb/{kind}/{e:g}/")]
                            cells.append(f"{np.mean(vals):.3g}" if vals else "")
                    lines.append(f"| {rule} | `{metric}` | " + " | ".join(cells) + " |")
            lines.append("")
    sections["perturbed"] = "\n".join(lines).strip()
    return sections


def fill(path, sections):
    """Replace the text between `<!-- family:NAME -->` and `<!-- /family:NAME -->` in `path` by the section."""
    import re

    with open(path, encoding="utf-8") as f:
        text = f.read()
    for name, body in sections.items():
        text = re.sub(rf"(<!-- family:{name} -->).*?(<!-- /family:{name} -->)",
                      lambda m: m.group(1) + "\n" + body + "\n" + m.group(2), text, flags=re.S)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def keep(sweeps):
    """Copy each sweep's report (report.md, results.csv, report.png) and the spread trials' --real-q-log
    CSVs under benchmarks/family/results/, where they stay with the repository."""
    import shutil

    for key in list(SCENARIOS) + [EPS_SWEEP]:
        src = os.path.join(sweeps, f"family_{key}")
        if not os.path.isdir(src):
            continue
        dst = os.path.join(OUT, "results", key)
        os.makedirs(dst, exist_ok=True)
        for name in ("report.md", "results.csv", "report.png"):
            if os.path.isfile(os.path.join(src, name)):
                shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
        if key not in SCENARIOS:
            continue
        _, by_rule = finished(sweeps, key)
        for results in by_rule.values():
            for r in results:
                q = os.path.join(r["dir"], "curves", f"{r['trial']}_q_values.csv")
                if os.path.isfile(q):
                    shutil.copyfile(q, os.path.join(dst, os.path.basename(q)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweeps", required=True, help="folder holding family_<scenario>/ sweep outputs")
    p.add_argument("--crossplay", action="store_true")
    p.add_argument("--perturb", type=float, nargs="*", default=[])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--scratch", default="/tmp/family_bench")
    p.add_argument("--write-md", action="store_true", help="fill the tables of benchmarks/FAMILY.md")
    p.add_argument("--keep", action="store_true", help="copy the sweeps' reports under benchmarks/family/results/")
    a = p.parse_args()
    if a.keep:
        keep(a.sweeps)
    report = summarise(a.sweeps)
    over = overestimation(report)
    cache = os.path.join(OUT, "crossplay.json")
    cross, perturbed = {}, {}
    if a.crossplay or a.perturb:
        os.makedirs(a.scratch, exist_ok=True)
        todo = []
        for key in ("adversary", "tag"):
            if a.crossplay:
                todo += crossplay_todo(a.sweeps, key, a.scratch)
            if a.perturb:
                todo += perturb_todo(a.sweeps, key, a.scratch, a.perturb)
        if a.perturb:
            todo += eps_todo(a.sweeps, a.scratch, a.perturb)
        run_cached(a.jobs, cache, todo)
    if os.path.isfile(cache):
        with open(cache) as f:
            done = json.load(f)
        cross = {k: v for k, v in done.items() if "/vs/" in k}
        perturbed = {k: v for k, v in done.items() if "/perturb/" in k}
    slim = {k: {**e, "rules": {r: {n: v for n, v in row.items() if n not in ("curves", "q", "summaries")}
                               for r, row in e["rules"].items()}} for k, e in report.items()}
    with open(os.path.join(OUT, "family.json"), "w") as f:
        json.dump({"scenarios": slim, "overestimation": over}, f, indent=1)
    plot_curves(report, os.path.join(OUT, "family_curves.png"))
    if over:
        plot_overestimation(report, os.path.join(OUT, "family_overestimation.png"))
    sections = tables(report, over, cross, perturbed)
    sections["eps"] = eps_table(a.sweeps, report, perturbed)
    if a.write_md:
        fill(os.path.join(HERE, "FAMILY.md"), sections)
    print("\n\n".join(sections.values()))


if __name__ == "__main__":
    sys.exit(main())
