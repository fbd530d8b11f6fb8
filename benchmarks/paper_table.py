"""The paper's five experiments (Lowe et al. 2017) at the paper's budget, through the real CLI.

Every run is two `maddpg-train` calls: training (25,000 episodes by default) and `--benchmark`
over exactly 1,000 evaluation episodes (`--benchmark-iters 25000 --num-envs 40`: 40 worlds x 25
rounds of 25-step episodes). Each finished run leaves benchmarks/paper/results/<variant>/<run>.json
(the commands, the benchmark summary, the learning curve, wall times); a run whose JSON exists is
skipped, so the script resumes where it stopped. At the end (or with --report alone) it writes
benchmarks/PAPER.md's table and the curve PNGs from every results JSON present.

    python benchmarks/paper_table.py --jobs 2                    # everything, seeds 0 1 2
    python benchmarks/paper_table.py --only sl_maddpg --seeds 0 1 2 3 4
    python benchmarks/paper_table.py --config-dir configs/paper --variant paper   # per-task YAML
    python benchmarks/paper_table.py --variant stgs --only sl_maddpg --train-args "--gradient-estimator stgs"
    python benchmarks/paper_table.py --dry-run                    # print the commands only
    python benchmarks/paper_table.py --report                     # rebuild PAPER.md only

Checkpoints, logs and benchmark pickles go to --work-dir (not committed); the summary is
recomputed from the pickle when the report is built, so new metric fields reach old runs.
Rows marked `needs: ensemble` (the paper's ensemble experiment) run only with --ensemble, on a
build that has `--ensemble-size`.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import os
import shlex
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "paper", "results")
FIGURES = os.path.join(HERE, "paper")
PAPER_MD = os.path.join(HERE, "PAPER.md")

EPISODE_LEN = 25
EVAL_EPISODES = 1000
EVAL_WORLDS = 40  # divides 1,000: every world runs 25 whole episodes

# Tasks: the paper's name, the scenario, the headline metrics (our summary's field names), and the
# paper's figures as printed there (None where the paper gives none for that pairing).
TASKS: Dict[str, dict] = {
    "sl": {"name": "cooperative communication", "scenario": "simple_speaker_listener", "adversaries": 0,
           "metrics": ["reached_target_rate", "reached_target_rate_any_step", "listener_target_dist_final",
                       "agent_reward_per_episode"]},
    "cn": {"name": "cooperative navigation", "scenario": "simple_spread", "adversaries": 0,
           "metrics": ["landmark_min_dist_sum_step_mean", "landmark_min_dist_sum_final",
                       "collisions_per_episode_pairs", "collisions_per_episode_excl_self",
                       "occupied_landmarks_final"]},
    "pd": {"name": "physical deception", "scenario": "simple_adversary", "adversaries": 1,
           "metrics": ["good_success_rate", "adversary_success_rate", "deception_success_rate",
                       "good_closer_than_adversary_rate",
                       "good_min_goal_dist_final", "adversary_goal_dist_final"]},
    "pp": {"name": "predator-prey", "scenario": "simple_tag", "adversaries": 3,
           "metrics": ["touches_per_episode", "touching_steps_per_episode", "episodes_with_touch_rate"]},
    "cc": {"name": "covert communication", "scenario": "simple_crypto", "adversaries": 1,
           "metrics": ["bob_success_rate", "eve_success_rate", "bob_minus_eve_success",
                       "bob_only_success_rate"]},
}

# Rows: (task, good policy, adversary policy). In predator-prey the adversaries are the predators;
# in physical deception and covert communication the adversary is the single "adversary"/Eve.
ROWS: List[dict] = [
    {"id": "sl_maddpg", "task": "sl", "good": "maddpg", "adv": "maddpg", "label": "MADDPG",
     "paper": {"reached_target_rate": 0.84}},
    {"id": "sl_ddpg", "task": "sl", "good": "ddpg", "adv": "ddpg", "label": "DDPG", "paper": {}},
    {"id": "cn_maddpg", "task": "cn", "good": "maddpg", "adv": "maddpg", "label": "MADDPG", "paper": {}},
    {"id": "cn_ddpg", "task": "cn", "good": "ddpg", "adv": "ddpg", "label": "DDPG", "paper": {}},
    {"id": "pd_maddpg", "task": "pd", "good": "maddpg", "adv": "maddpg", "label": "MADDPG agents vs MADDPG adversary",
     "paper": {"good_success_rate": 0.94, "good_closer_than_adversary_rate": 0.94}},
    {"id": "pd_m_vs_d", "task": "pd", "good": "maddpg", "adv": "ddpg", "label": "MADDPG agents vs DDPG adversary",
     "paper": {}},
    {"id": "pd_d_vs_m", "task": "pd", "good": "ddpg", "adv": "maddpg", "label": "DDPG agents vs MADDPG adversary",
     "paper": {"adversary_success_rate": 0.164}},
    {"id": "pp_m_vs_d", "task": "pp", "good": "ddpg", "adv": "maddpg", "label": "MADDPG predators vs DDPG prey",
     "paper": {"touches_per_episode": 16.1}},
    {"id": "pp_d_vs_m", "task": "pp", "good": "maddpg", "adv": "ddpg", "label": "DDPG predators vs MADDPG prey",
     "paper": {"touches_per_episode": 10.3}},
    {"id": "pp_maddpg", "task": "pp", "good": "maddpg", "adv": "maddpg", "label": "MADDPG predators vs MADDPG prey",
     "paper": {}},
    {"id": "cc_maddpg", "task": "cc", "good": "maddpg", "adv": "maddpg", "label": "MADDPG Alice/Bob vs MADDPG Eve",
     "paper": {"bob_minus_eve_success": 0.524}},
    {"id": "cc_ddpg", "task": "cc", "good": "ddpg", "adv": "maddpg", "label": "DDPG Alice/Bob vs MADDPG Eve",
     "paper": {"bob_minus_eve_success": 0.251}},
    {"id": "cc_m_vs_d", "task": "cc", "good": "maddpg", "adv": "ddpg", "label": "MADDPG Alice/Bob vs DDPG Eve",
     "paper": {}},
    # All-DDPG pairings complete the 2 x 2 of each competitive task (the paper's "DDPG" may mean these).
    {"id": "cc_d_vs_d", "task": "cc", "good": "ddpg", "adv": "ddpg", "label": "DDPG Alice/Bob vs DDPG Eve",
     "paper": {}},
    {"id": "pd_d_vs_d", "task": "pd", "good": "ddpg", "adv": "ddpg", "label": "DDPG agents vs DDPG adversary",
     "paper": {}},
    {"id": "pp_d_vs_d", "task": "pp", "good": "ddpg", "adv": "ddpg", "label": "DDPG predators vs DDPG prey",
     "paper": {}},
    # The ensemble experiment (section 4.3): K = 3 sub-policies for every agent.
    {"id": "pp_ens3", "task": "pp", "good": "ddpg", "adv": "maddpg", "label": "MADDPG predators vs DDPG prey, ensemble K=3",
     "paper": {}, "needs": "ensemble", "extra": ["--ensemble-size", "3"]},
    {"id": "pd_ens3", "task": "pd", "good": "maddpg", "adv": "maddpg", "label": "MADDPG vs MADDPG, ensemble K=3",
     "paper": {}, "needs": "ensemble", "extra": ["--ensemble-size", "3"]},
    # The paper's comparison: teams trained in separate runs play each other (cross-play, no training:
    # `--benchmark` of the good agents' run with `--adversaries-from` the other run's checkpoint).
    {"id": "pp_ens_pred_vs_single", "task": "pp", "cross": {"good": "pp_m_vs_d", "adv": "pp_ens3"},
     "label": "cross-play: ensemble predators (K=3) vs single-policy prey", "paper": {}, "needs": "ensemble"},
    {"id": "pp_single_pred_vs_ens", "task": "pp", "cross": {"good": "pp_ens3", "adv": "pp_m_vs_d"},
     "label": "cross-play: single-policy predators vs ensemble prey (K=3)", "paper": {}, "needs": "ensemble"},
    {"id": "pd_ens_adv_vs_single", "task": "pd", "cross": {"good": "pd_maddpg", "adv": "pd_ens3"},
     "label": "cross-play: ensemble adversary (K=3) vs single-policy agents", "paper": {}, "needs": "ensemble"},
    {"id": "pd_single_adv_vs_ens", "task": "pd", "cross": {"good": "pd_ens3", "adv": "pd_maddpg"},
     "label": "cross-play: single-policy adversary vs ensemble agents (K=3)", "paper": {}, "needs": "ensemble"},
]
ROW_BY_ID = {r["id"]: r for r in ROWS}
# Run first: the MADDPG row of each task (the paper's headline), seed by seed; the DDPG rows after.
FIRST = ("sl_maddpg", "cn_maddpg", "pd_maddpg", "pp_m_vs_d", "cc_maddpg")


def run_key(row_id: str, seed: int) -> str:
    return "{}_s{}".format(row_id, seed)


def _cli() -> List[str]:
    return [sys.executable, os.path.join(ROOT, "experiments", "train.py")]


def commands(row: dict, seed: int, args) -> Dict[str, List[str]]:
    """The training and the benchmark command of one run (lists for subprocess). A cross-play row
    trains nothing: its benchmark loads the good agents' run and `--adversaries-from` the other."""
    if "cross" in row:
        good = commands(ROW_BY_ID[row["cross"]["good"]], seed, args)
        adv = commands(ROW_BY_ID[row["cross"]["adv"]], seed, args)
        run_dir = os.path.join(args.work_dir, args.variant, run_key(row["id"], seed))
        bench = _move_last(good["benchmark"], "--exp-name", run_key(row["id"], seed))
        bench = _move_last(bench, "--benchmark-dir", os.path.join(run_dir, "bench") + "/")
        bench += ["--adversaries-from", os.path.join(adv["run_dir"], "policy") + "/"]
        return {"train": None, "benchmark": bench, "run_dir": run_dir, "sources": [good, adv]}
    task = TASKS[row["task"]]
    run_dir = os.path.join(args.work_dir, args.variant, run_key(row["id"], seed))
    common = ["--scenario", task["scenario"], "--num-adversaries", str(task["adversaries"]),
              "--good-policy", row["good"], "--adv-policy", row["adv"], "--seed", str(seed),
              "--exp-name", run_key(row["id"], seed), "--save-dir", os.path.join(run_dir, "policy") + "/"]
    cfg = config_for(task["scenario"], args)
    if cfg:
        common = ["--config", cfg] + common
        if _yaml_sets_scenario(cfg):  # e.g. a scenario file with the paper's reward: the file wins
            common = common[:2] + common[4:]
    extra = list(row.get("extra", [])) + shlex.split(args.train_args or "")
    train = _cli() + common + ["--num-episodes", str(args.episodes), "--save-rate", str(args.save_rate),
                               "--plots-dir", os.path.join(run_dir, "curves") + "/", "--quiet"] + extra
    bench_extra = [a for a in extra]  # network shapes and ensemble settings must match the checkpoint
    bench = _cli() + common + ["--benchmark", "--benchmark-iters", str(EVAL_EPISODES * EPISODE_LEN),
                               "--num-envs", str(EVAL_WORLDS), "--benchmark-dir",
                               os.path.join(run_dir, "bench") + "/", "--quiet"] + bench_extra
    # Later flags win in argparse: the evaluation's --num-envs overrides one in --train-args.
    bench = _move_last(bench, "--num-envs", str(EVAL_WORLDS))
    return {"train": train, "benchmark": bench, "run_dir": run_dir}


def _move_last(cmd: List[str], flag: str, value: str) -> List[str]:
    out, skip = [], False
    for i, a in enumerate(cmd):
        if skip:
            skip = False
            continue
        if a == flag:
            skip = True
            continue
        out.append(a)
    return out + [flag, value]


def _yaml_sets_scenario(path: str) -> bool:
    import yaml

    with open(path) as f:
        return "scenario" in (yaml.safe_load(f) or {})


def config_for(scenario: str, args) -> Optional[str]:
    if args.config:
        return args.config
    if args.config_dir:
        path = os.path.join(args.config_dir, scenario + ".yaml")
        return path if os.path.exists(path) else None
    return None


def shown(cmd: List[str]) -> str:
    """A command as a user types it: maddpg-train instead of the interpreter and script path."""
    rest = cmd[2:]
    rest = [os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT) else a for a in rest]
    return "maddpg-train " + " ".join(shlex.quote(a) for a in rest)


def results_path(variant: str, key: str) -> str:
    return os.path.join(RESULTS, variant, key + ".json")


_print_lock = threading.Lock()


def _say(msg: str) -> None:
    with _print_lock:
        print(time.strftime("%H:%M:%S"), msg, flush=True)


_train_locks: Dict[str, threading.Lock] = {}


def _train_source(cmds: dict, key: str) -> bool:
    """Train a cross-play row's source run unless its checkpoint is there (a seeded run trains the
    same policy again when its folder was cleared). False when training failed."""
    with _print_lock:
        lock = _train_locks.setdefault(cmds["run_dir"], threading.Lock())
    with lock:
        if os.path.exists(os.path.join(cmds["run_dir"], "train.done")):
            return True
        os.makedirs(cmds["run_dir"], exist_ok=True)
        _say("start train {} (a cross-play source)".format(key))
        with open(os.path.join(cmds["run_dir"], "log.txt"), "a") as f:
            f.write("$ " + shown(cmds["train"]) + "\n")
            f.flush()
            if subprocess.call(cmds["train"], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT) != 0:
                return False
        open(os.path.join(cmds["run_dir"], "train.done"), "w").close()
        return True


def run_one(row: dict, seed: int, args) -> Optional[str]:
    key = run_key(row["id"], seed)
    out = results_path(args.variant, key)
    if os.path.exists(out):
        return None
    cmds = commands(row, seed, args)
    for source in cmds.get("sources", []):
        if not _train_source(source, os.path.basename(source["run_dir"])):
            _say("FAILED training the source {} of {}".format(source["run_dir"], key))
            return key
    os.makedirs(cmds["run_dir"], exist_ok=True)
    log = os.path.join(cmds["run_dir"], "log.txt")
    walls = {}
    for step in ("train", "benchmark"):
        if step == "train" and (cmds["train"] is None or os.path.exists(os.path.join(cmds["run_dir"], "train.done"))):
            continue  # trained before an interruption (or a cross-play row): only evaluate
        _say("start {} {} ({})".format(step, key, args.variant))
        t0 = time.time()
        with open(log, "a") as f:
            f.write("$ " + shown(cmds[step]) + "\n")
            f.flush()
            rc = subprocess.call(cmds[step], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        walls[step] = time.time() - t0
        if rc != 0:
            _say("FAILED {} {} (exit {}), see {}".format(step, key, rc, log))
            return key
        if step == "train":
            open(os.path.join(cmds["run_dir"], "train.done"), "w").close()
    exp = run_key(row["id"], seed)
    curves = os.path.join(cmds["run_dir"], "curves")
    rewards, agrewards = [], []  # a cross-play row has no training curve of its own
    if cmds["train"] is not None:
        from maddpg_tf2 import fileio
        rewards = [float(x) for x in fileio.read_data_pickle(os.path.join(curves, exp + "_rewards.pkl"))]
        agrewards = [float(x) for x in fileio.read_data_pickle(os.path.join(curves, exp + "_agrewards.pkl"))]
    with open(os.path.join(cmds["run_dir"], "bench", exp + "_summary.json")) as f:
        summary = json.load(f)
    record = {"row": row["id"], "task": row["task"], "scenario": TASKS[row["task"]]["scenario"],
              "seed": seed, "variant": args.variant,
              "train_command": shown(cmds["train"]) if cmds["train"] else "(cross-play: the two runs' own training)",
              "benchmark_command": shown(cmds["benchmark"]), "episodes": args.episodes,
              "save_rate": args.save_rate, "curve": rewards, "agent_curve": agrewards,
              "summary": summary, "wall_s": walls,
              "benchmark_pickle": os.path.join(cmds["run_dir"], "bench", exp + ".pkl")}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, out)
    _say("done {} ({}): {}".format(key, args.variant, ", ".join(
        "{}={:.4g}".format(m, summary["metrics"][m]["mean"])
        for m in TASKS[row["task"]]["metrics"] if m in summary["metrics"])))
    return None


# ---------------------------------------------------------------------------- report
def _load_results() -> Dict[str, Dict[str, List[dict]]]:
    """{variant: {row id: [records]}}, summaries recomputed from the pickle when it is at hand."""
    out: Dict[str, Dict[str, List[dict]]] = {}
    if not os.path.isdir(RESULTS):
        return out
    for variant in sorted(os.listdir(RESULTS)):
        folder = os.path.join(RESULTS, variant)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(folder, name)) as f:
                rec = json.load(f)
            out.setdefault(variant, {}).setdefault(rec["row"], []).append(rec)
    return out


def refresh_summaries(results) -> None:
    """Recompute each run's summary from its benchmark pickle (new metric fields) and save it."""
    sys.path[:0] = [ROOT, os.path.join(ROOT, "compat")]
    from maddpg_tf2 import benchmark_metrics

    for variant, rows in results.items():
        for row_id, recs in rows.items():
            for rec in recs:
                pkl = rec.get("benchmark_pickle")
                if not pkl or not os.path.exists(pkl):
                    continue
                episodes = [ep[0] for ep in benchmark_metrics.load_benchmark_pickle(pkl)]
                task = TASKS[rec["task"]]
                n = len(episodes[0][0])
                adv = [i < task["adversaries"] for i in range(n)]
                summary = benchmark_metrics.summarise(task["scenario"], episodes, adv)
                rec["summary"] = json.loads(json.dumps(benchmark_metrics._json_safe(summary)))
                path = results_path(variant, run_key(row_id, rec["seed"]))
                tmp = path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(rec, f, indent=1)
                os.replace(tmp, path)


def _stats(values: List[float]):
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None
    mean = sum(vals) / len(vals)
    sd = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5 if len(vals) > 1 else float("nan")
    return mean, sd, min(vals), max(vals), len(vals)


def _fmt_metric(name: str, x: float) -> str:
    if "_rate" in name or name.endswith("_success"):
        return "{:.1f}%".format(100 * x)
    return "{:.3g}".format(x)


def cell(recs: List[dict], metric: str) -> str:
    s = _stats([r["summary"]["metrics"].get(metric, {}).get("mean") for r in recs])
    if s is None:
        return "n/a"
    mean, sd, lo, hi, n = s
    if n == 1:
        return _fmt_metric(metric, mean)
    return "{} ± {} [{}, {}]".format(_fmt_metric(metric, mean), _fmt_metric(metric, sd).rstrip("%") +
                                     ("%" if "%" in _fmt_metric(metric, mean) else ""),
                                     _fmt_metric(metric, lo), _fmt_metric(metric, hi))


def plot_task(task_id: str, variant: str, rows: Dict[str, List[dict]]) -> Optional[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 4))
    drawn = False
    for row in ROWS:
        recs = rows.get(row["id"], [])
        if row["task"] != task_id or not recs:
            continue
        n = min(len(r["curve"]) for r in recs)
        if n == 0:
            continue
        y = np.array([r["curve"][:n] for r in recs])
        x = np.arange(1, n + 1) * recs[0]["save_rate"]
        ax.plot(x, y.mean(0), label="{} ({} seeds)".format(row["label"], len(recs)))
        ax.fill_between(x, y.min(0), y.max(0), alpha=0.2)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xlabel("training episodes")
    ax.set_ylabel("mean episode reward (all agents)")
    ax.set_title("{} ({})\nvariant {}: mean and range over seeds".format(
        TASKS[task_id]["name"], TASKS[task_id]["scenario"], variant), fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(FIGURES, "{}_{}_curves.png".format(variant, TASKS[task_id]["scenario"]))
    os.makedirs(FIGURES, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def table_markdown(results) -> str:
    """The results part of PAPER.md: per variant and task, the rows with every metric."""
    lines = []
    for variant, rows in results.items():
        lines.append("### Variant `{}`\n".format(variant))
        for task_id, task in TASKS.items():
            task_rows = [r for r in ROWS if r["task"] == task_id]
            if not any(rows.get(r["id"]) for r in task_rows) and variant != "default":
                continue
            lines.append("#### {} ({})\n".format(task["name"], task["scenario"]))
            head = ["row", "seeds"] + task["metrics"]
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "---|" * len(head))
            for r in task_rows:
                recs = rows.get(r["id"], [])
                if not recs:
                    if variant == "default":
                        lines.append("| {} | not run yet{} |".format(
                            r["label"], " (needs `--ensemble-size`, another branch)" if r.get("needs") else "")
                            + " |" * (len(head) - 2))
                    continue
                paper = r.get("paper", {})
                cells = []
                for m in task["metrics"]:
                    c = cell(recs, m)
                    if m in paper:
                        c += " (paper {})".format(_fmt_metric(m, paper[m]))
                    cells.append(c)
                lines.append("| {} | {} | {} |".format(r["label"], ",".join(str(x["seed"]) for x in sorted(
                    recs, key=lambda x: x["seed"])), " | ".join(cells)))
            plot = plot_task(task_id, variant, rows)
            lines.append("")
            any_rec = next((rows[r["id"]][0] for r in task_rows if rows.get(r["id"])), None)
            if any_rec:
                lines.append("Commands (seed {} of row {}; the others differ in `--seed`, `--exp-name`, "
                             "`--save-dir` and the policies):\n".format(any_rec["seed"], any_rec["row"]))
                lines.append("```\n{}\n{}\n```\n".format(any_rec["train_command"], any_rec["benchmark_command"]))
            if plot:
                lines.append("![{}]({})\n".format(task["scenario"], os.path.relpath(plot, HERE)))
    return "\n".join(lines)


RADII = (0.05, 0.1, 0.115, 0.16, 0.2, 0.3, 0.5)


def _final_distances(rec) -> Optional[dict]:
    """Per-episode final distances from the run's benchmark pickle (None without it):
    speaker-listener: the listener's; physical deception: the closest good agent's and the adversary's."""
    pkl = rec.get("benchmark_pickle")
    if rec["task"] not in ("sl", "pd") or not pkl or not os.path.exists(pkl):
        return None
    from maddpg_tf2 import fileio
    episodes = [ep[0] for ep in fileio.read_data_pickle(pkl)]
    if rec["task"] == "sl":
        return {"listener": [math.sqrt(max(-float(ep[-1][0]), 0.0)) for ep in episodes]}
    good = [math.sqrt(min(float(v[-1]) for v in ep[-1][1:])) for ep in episodes]
    adv = [math.sqrt(float(ep[-1][0])) for ep in episodes]
    return {"closest good agent": good, "adversary": adv}


def radius_markdown(results) -> str:
    """Success rates at other radii than ours: how much the paper's unstated threshold matters."""
    lines = []
    for variant, rows in results.items():
        for row_id, recs in rows.items():
            dists = [d for d in (_final_distances(r) for r in recs) if d]
            if not dists:
                continue
            for who in dists[0]:
                rates = []
                for r in RADII:
                    per_seed = [sum(x < r for x in d[who]) / len(d[who]) for d in dists]
                    rates.append("{:.1f}%".format(100 * sum(per_seed) / len(per_seed)))
                lines.append("| {} | {} | {} | {} | {} |".format(
                    variant, ROW_BY_ID[row_id]["label"] + " (" + TASKS[ROW_BY_ID[row_id]["task"]]["scenario"] + ")",
                    who, len(dists), " | ".join(rates)))
    if not lines:
        return ""
    head = ("\n#### Success at the last step against the radius (mean over seeds)\n\n"
            "| variant | row | who | seeds | " + " | ".join("< {}".format(r) for r in RADII) + " |\n"
            "|" + "---|" * (4 + len(RADII)) + "\n")
    return head + "\n".join(lines) + "\n"


MARK_BEGIN = "<!-- table: begin (written by benchmarks/paper_table.py --report) -->"
MARK_END = "<!-- table: end -->"


def write_report() -> None:
    results = _load_results()
    refresh_summaries(results)
    body = table_markdown(results) + radius_markdown(results)
    if os.path.exists(PAPER_MD):
        with open(PAPER_MD) as f:
            text = f.read()
    else:
        text = "# The paper's table\n\n" + MARK_BEGIN + "\n" + MARK_END + "\n"
    if MARK_BEGIN not in text:
        text += "\n" + MARK_BEGIN + "\n" + MARK_END + "\n"
    head, rest = text.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    text = head + MARK_BEGIN + "\n\n" + body + "\n" + MARK_END + tail
    tmp = PAPER_MD + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, PAPER_MD)
    print("wrote", PAPER_MD)


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", default=None,
                   help="row ids ({}) or task ids ({}) or scenario names".format(
                       " ".join(ROW_BY_ID), " ".join(TASKS)))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--jobs", type=int, default=1, help="runs side by side")
    p.add_argument("--episodes", type=int, default=25000, help="training episodes (the paper's 25,000)")
    p.add_argument("--save-rate", type=int, default=1000)
    p.add_argument("--config", default=None, help="YAML passed to every run's --config")
    p.add_argument("--config-dir", default=None,
                   help="folder of per-scenario YAML (<scenario>.yaml), e.g. configs/paper")
    p.add_argument("--train-args", default="", help="extra maddpg-train flags for training and benchmark")
    p.add_argument("--variant", default="default", help="results folder name for this setting")
    p.add_argument("--work-dir", default=os.path.join(ROOT, "tmp", "paper_runs"),
                   help="checkpoints, logs and benchmark pickles")
    p.add_argument("--ensemble", action="store_true", help="also run the ensemble rows (needs --ensemble-size)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.add_argument("--report", action="store_true", help="only rebuild PAPER.md from the results")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    return args


def selected_rows(args) -> List[dict]:
    rows = [r for r in ROWS if args.ensemble or not r.get("needs")]
    if args.only:
        want = set(args.only)
        unknown = want - set(ROW_BY_ID) - set(TASKS) - {t["scenario"] for t in TASKS.values()}
        if unknown:
            raise SystemExit("unknown --only value(s): {}; use row ids, task ids or scenarios".format(
                " ".join(sorted(unknown))))
        rows = [r for r in rows if r["id"] in want or r["task"] in want or TASKS[r["task"]]["scenario"] in want]
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    args.work_dir = os.path.abspath(args.work_dir)
    if args.report:
        write_report()
        return 0
    # MADDPG rows (those with a paper figure) first, then the rest, seed by seed.
    rows = selected_rows(args)
    todo = [(r, s) for s in args.seeds for r in rows]
    todo.sort(key=lambda rs: ("cross" in rs[0], rs[0]["id"] not in FIRST, rs[1], ROWS.index(rs[0])))
    if args.dry_run:
        for r, s in todo:
            c = commands(r, s, args)
            done = os.path.exists(results_path(args.variant, run_key(r["id"], s)))
            print("# {} seed {}{}".format(r["id"], s, " (done)" if done else ""))
            for source in c.get("sources", []):
                print("# trains, unless done: " + shown(source["train"]))
            if c["train"]:
                print(shown(c["train"]))
            print(shown(c["benchmark"]))
        return 0
    failed = []
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for f in cf.as_completed([pool.submit(run_one, r, s, args) for r, s in todo]):
            if f.result():
                failed.append(f.result())
    write_report()
    if failed:
        print("failed runs:", " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
