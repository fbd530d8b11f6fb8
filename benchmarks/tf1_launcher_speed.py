"""Steps per second of an original-style TF1 script run through the TF1 launcher (the compat
MADDPGAgentTrainer, one agent at a time, as the original's train.py) against `maddpg-train` on the
same scenario and flags, in interleaved repeats.

Programs (each a fresh process per repeat):
- tf1: `python -m maddpg.tf1 tests/data/train_tf1.py ...` (the original train.py's TF1 style);
- maddpg-train: `python -m maddpg_tf2.cli ... --num-envs 1` (the original's schedule: one world);
- compat-before (only with --before-compat DIR): tests/data/train_original.py (the three lines
  changed, no launcher) with DIR (an older checkout's compat/ and repo root) first on PYTHONPATH,
  e.g. the compat trainer before acting was compiled.

Two phases, each from the printed save lines (`time:` is the time since the previous line):
- acting: the default --batch-size 1024, so no update happens in the run (updates start at
  25,600 transitions); the first save interval (tracing) is left out;
- updates: --batch-size 32, so update rounds run from step 800; intervals from step 1000 on.

    python benchmarks/tf1_launcher_speed.py --repeats 3 --before-compat /path/to/old/checkout
    python benchmarks/tf1_launcher_speed.py --repeats 0 --acting-calls 3000   (acting only, in process)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"^steps: (\d+), episodes: (\d+), .*time: ([0-9.]+)$")

PHASES = {
    # name: (extra flags, first step counted)
    "acting": (["--num-episodes", "120", "--save-rate", "20"], 500),
    "updates": (["--num-episodes", "200", "--save-rate", "20", "--batch-size", "32"], 1000),
}


def command(program, scenario, flags, out):
    common = ["--scenario", scenario, "--max-episode-len", "25", "--exp-name", "speed",
              "--save-dir", os.path.join(out, "policy") + "/", "--plots-dir", out + "/",
              "--benchmark-dir", out + "/"] + flags
    if program == "tf1":
        return [sys.executable, "-m", "maddpg.tf1", os.path.join(ROOT, "tests", "data", "train_tf1.py")] + common
    if program == "compat-before":
        return [sys.executable, os.path.join(ROOT, "tests", "data", "train_original.py")] + common
    return [sys.executable, "-m", "maddpg_tf2.cli"] + common + ["--num-envs", "1", "--quiet"]


def steps_per_second(stdout, first_step):
    """Steps over seconds of the save intervals that start at or after first_step."""
    points = [(int(m.group(1)), float(m.group(3))) for m in map(LINE.match, stdout.splitlines()) if m]
    steps = seconds = 0.0
    for (s0, _), (s1, t1) in zip(points, points[1:]):
        if s0 >= first_step:
            steps, seconds = steps + (s1 - s0), seconds + t1
    return steps / seconds if seconds else float("nan")


def acting_cpu_ms(scenario, calls):
    """CPU milliseconds (process time: less sensitive to a busy machine than wall time) per
    `trainer.action(obs)` of the compat trainer, three ways: the compiled forward of a TF1 model
    function (now), the same model called eagerly (acting before the forward was compiled), and
    the built-in MLP (model=None, a numpy forward, as maddpg-train acts)."""
    import time
    import types

    import numpy as np
    import tensorflow as tf

    import maddpg.common.layers as layers
    import maddpg.common.tf_util as U
    from maddpg.trainer.maddpg import MADDPGAgentTrainer
    from make_env import make_env

    def mlp_model(input, num_outputs, scope, reuse=False, num_units=64, rnn_cell=None):
        with tf.compat.v1.variable_scope(scope, reuse=reuse):
            out = layers.fully_connected(input, num_outputs=num_units, activation_fn=tf.nn.relu)
            out = layers.fully_connected(out, num_outputs=num_units, activation_fn=tf.nn.relu)
            return layers.fully_connected(out, num_outputs=num_outputs, activation_fn=None)

    env = make_env(scenario)
    obs = env.reset()[0]
    hp = types.SimpleNamespace(lr=1e-2, gamma=0.95, batch_size=1024, num_units=64, max_episode_len=25)
    out = {}
    with U.single_threaded_session():
        shapes = [s.shape for s in env.observation_space]
        tf1 = MADDPGAgentTrainer("agent_0", mlp_model, shapes, env.action_space, 0, hp)
        mlp = MADDPGAgentTrainer("agent_0", None, shapes, env.action_space, 0, hp)
        eager = lambda o: tf1.nets.dist.sample_np(np.asarray(tf1.nets.actor(tf.constant(o[None]))), np.random)[0]
        for name, act in (("compiled", tf1.action), ("eager", eager), ("numpy MLP", mlp.action)):
            act(obs.astype(np.float32))
            start = time.process_time()
            for _ in range(calls):
                act(obs.astype(np.float32))
            out[name] = (time.process_time() - start) / calls * 1e3
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="simple_spread")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=list(PHASES))
    parser.add_argument("--before-compat", default=None, help="an older checkout to time as compat-before")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--acting-calls", type=int, default=0,
                        help="also time this many trainer.action calls in this process (CPU ms per call)")
    args = parser.parse_args()
    if args.acting_calls:
        sys.path[:0] = [ROOT, os.path.join(ROOT, "compat")]
        for name, ms in acting_cpu_ms(args.scenario, args.acting_calls).items():
            print("acting, one trainer.action call: %-10s %.3f CPU ms" % (name, ms), flush=True)
    programs = ["tf1", "maddpg-train"] + (["compat-before"] if args.before_compat else [])
    here = [ROOT, os.path.join(ROOT, "compat")]
    results = {phase: {p: [] for p in programs} for phase in args.phases}
    for repeat in range(args.repeats):
        for phase in args.phases:
            flags, first_step = PHASES[phase]
            for program in programs:  # interleaved: every program once per repeat and phase
                roots = ([args.before_compat, os.path.join(args.before_compat, "compat")]
                         if program == "compat-before" else here)
                env = dict(os.environ, PYTHONPATH=os.pathsep.join(roots), TF_CPP_MIN_LOG_LEVEL="2",
                           MPLBACKEND="Agg")
                with tempfile.TemporaryDirectory() as out:
                    run = subprocess.run(command(program, args.scenario, flags, out), cwd=out, env=env,
                                         capture_output=True, text=True)
                if run.returncode != 0:
                    sys.exit("%s failed:\n%s" % (program, run.stderr[-2000:]))
                rate = steps_per_second(run.stdout, first_step)
                results[phase][program].append(rate)
                print("repeat %d %-8s %-14s %7.1f steps/s" % (repeat, phase, program, rate), flush=True)
    for phase in args.phases:
        for program, rates in results[phase].items():
            print("%-8s %-14s %s steps/s (median %.0f)" % (phase, program, "-".join(
                "%.0f" % r for r in (min(rates), max(rates))), sorted(rates)[len(rates) // 2]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scenario": args.scenario, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
