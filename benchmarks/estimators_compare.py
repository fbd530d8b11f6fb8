"""Compare the discrete gradient estimators (gumbel, stgs, grmck, gst, tags) on one scenario.

Runs the ordinary training loop (maddpg_tf2.loop.Trainer) in-process, one run at a time, for every
estimator x seed on a fixed episode budget, with the actor-gradient-variance probe on. Writes, into
--out-dir:
    estimators_<scenario>.json   every run's curve, grad-variance measurements and wall time
    estimators_<scenario>.png    mean curve over seeds per estimator
    estimators_<scenario>.md     table: final mean episode reward +- std over seeds, grad variance

    python benchmarks/estimators_compare.py --episodes 5000 --seeds 0 1 2 --num-envs 32

`--from-json FILE` redraws the plot and table from a saved JSON without training.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from maddpg_tf2.config import Config  # noqa: E402
from maddpg_tf2.estimators import ESTIMATORS  # noqa: E402


def expected_update_rounds(c: Config) -> int:
    """Update rounds a run of c.num_episodes full-length episodes will make (for the TAGS period)."""
    transitions = c.num_episodes * c.max_episode_len
    return max(1, (transitions - c.min_replay_size) // c.update_every * c.train_repeats)


def run_one(args, estimator: str, seed: int, workdir: str) -> dict:
    from maddpg_tf2.loop import Trainer, _seed_everything

    c = Config(scenario=args.scenario, num_episodes=args.episodes, num_envs=args.num_envs, seed=seed,
               save_rate=args.save_rate, quiet=True, gradient_estimator=estimator, rao_k=args.rao_k,
               plots_dir=workdir, save_dir=os.path.join(workdir, "ckpt", ""),
               exp_name=f"{estimator}_s{seed}", log_grad_variance=True,
               log_grad_variance_interval=args.grad_var_interval, grad_variance_draws=args.grad_var_draws)
    # The default TAGS period (100k rounds) would barely cool within a short budget: anneal over the run.
    c = c.replace(tags_period=args.tags_period or expected_update_rounds(c))
    _seed_everything(seed)
    t0 = time.time()
    trainer = Trainer(c)
    trainer.train()
    wall = time.time() - t0
    grad_var = {}
    for _, name, value in trainer.logger._metric_rows:
        if name.startswith("grad_var/"):
            grad_var.setdefault(name, []).append(value)
    return {"estimator": estimator, "seed": seed, "curve": list(trainer.logger.final_ep_rewards),
            "grad_var": grad_var, "wall_s": wall, "update_rounds": trainer.progress.update_rounds,
            "tags_period": c.tags_period if estimator == "tags" else None}


def same_state_variance(args, workdir) -> dict:
    """Train one run with the original estimator, then probe every estimator on the same networks and
    the same batches: the spread then comes from the estimator alone, not from where training went.

    TAGS is stgs at another temperature; it is probed at its final temperature (tags_end)."""
    from maddpg_tf2.distributions import make_distribution
    from maddpg_tf2.estimators import make_estimator
    from maddpg_tf2.grad_variance import GradVarianceProbe
    from maddpg_tf2.loop import Trainer, _seed_everything

    seed = args.seeds[0]
    c = Config(scenario=args.scenario, num_episodes=args.same_state_episodes, num_envs=args.num_envs,
               seed=seed, save_rate=args.save_rate, quiet=True, plots_dir=workdir,
               save_dir=os.path.join(workdir, "ckpt_state", ""), exp_name=f"state_s{seed}")
    _seed_everything(seed)
    trainer = Trainer(c)
    trainer.train()
    rng = np.random.default_rng(seed)
    batches = [trainer.replay.sample(c.batch_size, rng) for _ in range(args.same_state_batches)]
    learner, spaces = trainer.learner, list(trainer.env.action_space_n)
    original = [a.dist for a in learner.agents]
    out = {"episodes": args.same_state_episodes, "draws": args.same_state_draws,
           "batches": args.same_state_batches, "seed": seed, "estimators": {}}
    for est in args.estimators:
        temp = c.tags_end if est == "tags" else c.gumbel_temp
        estimator = make_estimator(est, temperature=temp, rao_k=args.rao_k, gst_gap=c.gst_gap)
        for a, space in zip(learner.agents, spaces):
            a.dist = make_distribution(space, estimator, temp)
        probe = GradVarianceProbe(learner, args.same_state_draws, seed)
        values = [probe(b) for b in batches]
        out["estimators"][est] = {k: float(np.mean([v[k] for v in values])) for k in values[0]}
        for a, d in zip(learner.agents, original):
            a.dist = d
    return out


def summarise(runs, estimators):
    rows = []
    for est in estimators:
        mine = [r for r in runs if r["estimator"] == est]
        if not mine:
            continue
        final = np.array([r["curve"][-1] for r in mine])
        # The last few save points, averaged, are less noisy than the very last one.
        tail = np.array([np.mean(r["curve"][-4:]) for r in mine])
        # Per agent: the mean over measurements and seeds of the per-parameter variance.
        n_agents = len([k for k in mine[0]["grad_var"] if "elementwise" in k])
        gv = [np.mean([np.mean(r["grad_var"][f"grad_var/elementwise_{i}"]) for r in mine if r["grad_var"]])
              for i in range(n_agents)]
        rows.append({"estimator": est, "seeds": len(mine), "final_mean": final.mean(),
                     "final_std": final.std(ddof=1) if len(mine) > 1 else float("nan"),
                     "tail_mean": tail.mean(), "tail_std": tail.std(ddof=1) if len(mine) > 1 else float("nan"),
                     "grad_var": [float(g) for g in gv],
                     "wall_s": float(np.mean([r["wall_s"] for r in mine]))})
    return rows


def write_outputs(data, out_dir):
    from maddpg_tf2.plot import plot_curves

    args, runs = data["args"], data["runs"]
    stem = os.path.join(out_dir, f"estimators_{args['scenario']}")
    estimators = [e for e in args["estimators"] if any(r["estimator"] == e for r in runs)]
    curves = {}
    for est in estimators:
        mine = [r["curve"] for r in runs if r["estimator"] == est]
        n = min(len(c) for c in mine)
        curves[f"{est} (n={len(mine)})"] = np.mean([c[:n] for c in mine], axis=0).tolist()
    png = plot_curves(curves, args["save_rate"], stem + ".png",
                      title=f"{args['scenario']}: mean over seeds")
    lines = [
        f"| estimator | seeds | final reward (last {args['save_rate']} episodes) | mean of last 4 points "
        f"| actor grad variance per agent (elementwise, mean over run) | wall s / run |",
        "|---|---|---|---|---|---|",
    ]
    for r in summarise(runs, estimators):
        lines.append(f"| {r['estimator']} | {r['seeds']} | {r['final_mean']:.2f} ± {r['final_std']:.2f} "
                     f"| {r['tail_mean']:.2f} ± {r['tail_std']:.2f} | {' / '.join(f'{g:.3g}' for g in r['grad_var']) or 'n/a'} | {r['wall_s']:.0f} |")
    state = data.get("same_state")
    if state:
        n_agents = len([k for k in next(iter(state["estimators"].values())) if "elementwise" in k])
        lines += ["", f"Same networks, same {state['batches']} batches (after {state['episodes']} episodes of "
                  f"the original estimator, seed {state['seed']}), {state['draws']} draws each:", "",
                  "| estimator | " + " | ".join(f"elementwise var, agent {i}" for i in range(n_agents))
                  + " | " + " | ".join(f"norm var, agent {i}" for i in range(n_agents)) + " |",
                  "|---|" + "---|" * (2 * n_agents)]
        for est, v in state["estimators"].items():
            cells = [f"{v[f'grad_var/elementwise_{i}']:.3g}" for i in range(n_agents)]
            cells += [f"{v[f'grad_var/norm_{i}']:.3g}" for i in range(n_agents)]
            lines.append(f"| {est} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    with open(stem + ".md", "w", encoding="utf-8") as f:
        f.write(table)
    return png, table


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="simple_speaker_listener")
    p.add_argument("--estimators", nargs="+", default=list(ESTIMATORS), choices=ESTIMATORS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--episodes", type=int, default=5000)
    p.add_argument("--num-envs", type=int, default=32)
    p.add_argument("--save-rate", type=int, default=250)
    p.add_argument("--rao-k", type=int, default=10, help="GRMCK's K (the config default is 1)")
    p.add_argument("--tags-period", type=int, default=None, help="default: the run's update rounds")
    p.add_argument("--grad-var-interval", type=int, default=100)
    p.add_argument("--grad-var-draws", type=int, default=16)
    p.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--same-state-episodes", type=int, default=0,
                   help="> 0: also train one gumbel run this long and probe every estimator on its state")
    p.add_argument("--same-state-draws", type=int, default=64)
    p.add_argument("--same-state-batches", type=int, default=4)
    p.add_argument("--from-json", default=None, help="only redraw plot and table from this JSON")
    args = p.parse_args(argv)

    json_path = os.path.join(args.out_dir, f"estimators_{args.scenario}.json")
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            data = json.load(f)
        if args.same_state_episodes > 0:
            with tempfile.TemporaryDirectory() as workdir:
                data["same_state"] = same_state_variance(args, workdir)
            data["same_state_command"] = " ".join(["python"] + sys.argv)
            with open(json_path, "w", encoding="utf-8") as f:
                json.dump(data, f)
    else:
        data = {"args": vars(args), "command": " ".join(["python"] + sys.argv), "runs": []}
        with tempfile.TemporaryDirectory() as workdir:
            # Seed-major order: a cut-short comparison still has every estimator on the first seeds.
            for seed in args.seeds:
                for est in args.estimators:
                    r = run_one(args, est, seed, workdir)
                    data["runs"].append(r)
                    print(f"[compare] {est} seed {seed}: final {r['curve'][-1]:.2f}, "
                          f"{r['update_rounds']} rounds, {r['wall_s']:.0f} s", flush=True)
                    with open(json_path, "w", encoding="utf-8") as f:
                        json.dump(data, f)
            if args.same_state_episodes > 0:
                data["same_state"] = same_state_variance(args, workdir)
                with open(json_path, "w", encoding="utf-8") as f:
                    json.dump(data, f)
    png, table = write_outputs(data, args.out_dir)
    print(table)
    print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
