"""The command line: the original's flags (and the new ones) parsed into a Config, handed to the loop.

experiments/train.py (run as `python experiments/train.py ...` from the repository root or as
`python train.py ...` inside experiments/) and the console script `maddpg-train` both call `main`.
Every original flag keeps its name, default and meaning. This is the only module that parses argv.
"""
from __future__ import annotations

import argparse
import os
import sys

# TensorFlow's C++ start-up chatter (CPU feature notes, CUDA probes) would bury the original's lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from maddpg_tf2.config import Config

ESTIMATORS = ("gumbel", "stgs", "grmck", "gst", "tags")
POLICIES = ("maddpg", "ddpg")


def build_parser() -> argparse.ArgumentParser:
    d = Config()
    p = argparse.ArgumentParser(
        prog="maddpg-train",
        description="MADDPG on the multi-agent particle environments (TensorFlow 2)")
    # Environment
    p.add_argument("--scenario", type=str, default=d.scenario, help="built-in scenario name (e.g. simple_spread) or the path of a scenario .py file")
    p.add_argument("--max-episode-len", type=int, default=d.max_episode_len, help="steps per episode (time limit)")
    p.add_argument("--num-episodes", type=int, default=d.num_episodes, help="training stops after this many episodes")
    p.add_argument("--num-adversaries", type=int, default=d.num_adversaries, help="the first k agents use --adv-policy")
    p.add_argument("--good-policy", type=str, default=d.good_policy, choices=POLICIES, help="maddpg (centralised critic) or ddpg (local critic) for the other agents")
    p.add_argument("--adv-policy", type=str, default=d.adv_policy, choices=POLICIES, help="maddpg or ddpg for the first --num-adversaries agents")
    # Core training parameters
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate of actors and critics")
    p.add_argument("--gamma", type=float, default=d.gamma, help="discount")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="minibatch size of every update")
    p.add_argument("--num-units", type=int, default=d.num_units, help="hidden width of every MLP")
    # Checkpointing
    p.add_argument("--exp-name", type=str, default=d.exp_name, help="name of the experiment (default: <scenario>_<time>)")
    p.add_argument("--save-dir", type=str, default=d.save_dir, help="checkpoint directory")
    p.add_argument("--save-rate", type=int, default=d.save_rate, help="checkpoint, print and record the curve every this many episodes")
    p.add_argument("--load-dir", type=str, default=d.load_dir, help="where --restore/--display/--benchmark load from (default: --save-dir)")
    # Evaluation
    p.add_argument("--restore", action="store_true", default=False, help="resume training from the checkpoint")
    p.add_argument("--display", action="store_true", default=False, help="render the loaded policy")
    p.add_argument("--benchmark", action="store_true", default=False, help="evaluate the loaded policy")
    p.add_argument("--benchmark-iters", type=int, default=d.benchmark_iters, help="environment steps of a benchmark run")
    p.add_argument("--benchmark-dir", type=str, default=d.benchmark_dir, help="output folder of benchmark pickles and summaries")
    p.add_argument("--plots-dir", type=str, default=d.plots_dir, help="output folder of learning curves (pickles, CSV, PNG)")

    new = p.add_argument_group("beyond the original")
    new.add_argument("--config", type=str, default=None, help="YAML file with the same keys as the flags; flags given on the command line win")
    new.add_argument("--seed", type=int, default=d.seed, help="seed numpy, TensorFlow and the environments (same seed, same run on CPU)")
    new.add_argument("--benchmark-deterministic", action="store_true", default=d.benchmark_deterministic, help="benchmark with the policies' mode instead of sampled actions")
    new.add_argument("--num-envs", type=int, default=d.num_envs, help="parallel environments stepped together (updates stay one round per 100 transitions)")
    new.add_argument("--display-episodes", type=int, default=d.display_episodes, help="episodes to display (default: forever with a window, 3 without)")
    new.add_argument("--display-file", type=str, default=d.display_file, help="animation written when there is no display (.gif or .mp4)")
    new.add_argument("--save-replay", action="store_true", default=d.save_replay, help="checkpoint the replay buffer too, so --restore resumes with it")
    new.add_argument("--tensorboard-dir", type=str, default=d.tensorboard_dir, help="write TensorBoard scalars here")
    new.add_argument("--quiet", action="store_true", default=d.quiet, help="no progress bar")
    new.add_argument("--buffer-size", type=int, default=d.buffer_size, help="replay capacity in transitions")
    new.add_argument("--jit-compile", action="store_true", default=d.jit_compile, help="compile the train step with XLA")
    new.add_argument("--intra-op-threads", type=int, default=d.intra_op_threads, help="TensorFlow threads inside one op (0: TensorFlow's choice)")
    new.add_argument("--inter-op-threads", type=int, default=d.inter_op_threads, help="TensorFlow ops run side by side (0: TensorFlow's choice)")
    new.add_argument("--target-init", type=str, default=d.target_init, choices=("independent", "copy"), help="targets initialised independently (original) or as copies")

    est = p.add_argument_group("discrete gradient estimators (Tilbury et al. 2023)")
    est.add_argument("--gradient-estimator", type=str, default=d.gradient_estimator, choices=ESTIMATORS)
    est.add_argument("--gumbel-temp", type=float, default=d.gumbel_temp, help="temperature tau")
    est.add_argument("--rao-k", type=int, default=d.rao_k, help="GRMCK: conditional Gumbel draws K")
    est.add_argument("--gst-gap", type=float, default=d.gst_gap, help="GST: logit gap")
    est.add_argument("--tags-start", type=float, default=d.tags_start, help="TAGS: first temperature")
    est.add_argument("--tags-end", type=float, default=d.tags_end, help="TAGS: final temperature")
    est.add_argument("--tags-period", type=int, default=d.tags_period, help="TAGS: decay length in update rounds")
    est.add_argument("--log-grad-variance", action="store_true", default=d.log_grad_variance, help="log actor gradient variance across estimator draws")
    est.add_argument("--log-grad-variance-interval", type=int, default=d.log_grad_variance_interval, help="update rounds between variance measurements")
    est.add_argument("--grad-variance-draws", type=int, default=d.grad_variance_draws, help="estimator draws per variance measurement (at least 2)")
    est.add_argument("--actor-lr", type=float, default=d.actor_lr, help="actor learning rate (default --lr)")
    est.add_argument("--critic-lr", type=float, default=d.critic_lr, help="critic learning rate (default --lr)")
    est.add_argument("--policy-regulariser", type=float, default=d.policy_regulariser, help="weight of the mean squared actor output")
    est.add_argument("--gradient-clip", dest="grad_clip", type=float, default=d.grad_clip, help="per-variable gradient norm clip (<= 0: off)")
    est.add_argument("--soft-update-size", dest="tau", type=float, default=d.tau, help="polyak step tau of the targets")
    est.add_argument("--standardise-rewards", action="store_true", default=d.standardise_rewards, help="standardise sampled rewards per batch")
    est.add_argument("--warmup-episodes", type=int, default=d.warmup_episodes, help="episodes of random actions before the policy acts")
    est.add_argument("--train-repeats", type=int, default=d.train_repeats, help="update rounds per update point")
    return p


class UsageError(Exception):
    """Bad input: one line naming the problem and the fix."""


def _yaml_values(path, parser):
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise UsageError(f"cannot read config file {path}: {e.strerror}; pass an existing YAML file to --config")
    except yaml.YAMLError as e:
        raise UsageError(f"config file {path} is not valid YAML ({str(e).splitlines()[0]}); fix the file")
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must hold a mapping of flag names to values")
    known = {a.dest: a for a in parser._actions if a.dest not in ("help", "config")}
    values = {}
    for key, value in data.items():
        dest = str(key).replace("-", "_").lstrip("_")
        dest = {"gradient_clip": "grad_clip", "soft_update_size": "tau"}.get(dest, dest)
        if dest not in known:
            raise UsageError(f"config file {path}: unknown key '{key}'; keys are the flag names, e.g. 'batch-size' or 'batch_size'")
        action = known[dest]
        if value is not None and action.type is not None and not isinstance(value, bool):
            try:
                value = action.type(value)
            except (TypeError, ValueError):
                raise UsageError(f"config file {path}: '{key}' must be of type {action.type.__name__}, got {value!r}")
        if action.choices and value not in action.choices:
            raise UsageError(f"config file {path}: '{key}' must be one of {', '.join(action.choices)}, got {value!r}")
        values[dest] = value
    return values


def parse_config(argv=None) -> Config:
    parser = build_parser()
    args = parser.parse_args(argv)
    values = vars(args)
    config_file = values.pop("config")
    if config_file:
        # Flags typed on the command line win over the file: parse again with no defaults to see them.
        explicit = argparse.Namespace()
        quiet = build_parser()
        for action in quiet._actions:
            action.default = argparse.SUPPRESS
        quiet.parse_args(argv, namespace=explicit)
        merged = _yaml_values(config_file, parser)
        merged.update({k: v for k, v in vars(explicit).items() if k != "config"})
        values.update(merged)
    if values.get("grad_clip") is not None and values["grad_clip"] <= 0:
        values["grad_clip"] = None
    config = Config(**values)
    validate(config)
    return config


def validate(c: Config) -> None:
    positive = {
        "--max-episode-len": c.max_episode_len, "--num-episodes": c.num_episodes, "--batch-size": c.batch_size,
        "--save-rate": c.save_rate, "--num-units": c.num_units, "--num-envs": c.num_envs,
        "--benchmark-iters": c.benchmark_iters, "--buffer-size": c.buffer_size, "--rao-k": c.rao_k,
        "--train-repeats": c.train_repeats, "--log-grad-variance-interval": c.log_grad_variance_interval,
        "--tags-period": c.tags_period,
    }
    for flag, value in positive.items():
        if value <= 0:
            raise UsageError(f"{flag} must be a positive integer, got {value}; pass a value of at least 1")
    for flag, value in {"--intra-op-threads": c.intra_op_threads, "--inter-op-threads": c.inter_op_threads}.items():
        if value < 0:
            raise UsageError(f"{flag} must be 0 (TensorFlow's choice) or a positive number of threads, got {value}")
    if c.grad_variance_draws < 2:
        raise UsageError(f"--grad-variance-draws must be at least 2, got {c.grad_variance_draws}")
    for flag, value in {"--actor-lr": c.actor_lr, "--critic-lr": c.critic_lr}.items():
        if value is not None and not value > 0:
            raise UsageError(f"{flag} must be positive, got {value}")
    for flag, value in {"--lr": c.lr, "--gumbel-temp": c.gumbel_temp, "--tags-start": c.tags_start,
                        "--tags-end": c.tags_end}.items():
        if not value > 0:
            raise UsageError(f"{flag} must be positive, got {value}")
    if c.num_adversaries < 0:
        raise UsageError(f"--num-adversaries must be 0 or more, got {c.num_adversaries}")
    if not 0 <= c.gamma <= 1:
        raise UsageError(f"--gamma must lie in [0, 1], got {c.gamma}")
    if not 0 < c.tau <= 1:
        raise UsageError(f"--soft-update-size must lie in (0, 1], got {c.tau}")
    if c.display_episodes is not None and c.display_episodes <= 0:
        raise UsageError(f"--display-episodes must be a positive integer, got {c.display_episodes}")
    if c.warmup_episodes < 0:
        raise UsageError(f"--warmup-episodes must be 0 or more, got {c.warmup_episodes}")
    if sum([c.display, c.benchmark]) > 1:
        raise UsageError("--display and --benchmark cannot be combined; pick one")
    if c.display_file and not c.display_file.lower().endswith((".gif", ".mp4")):
        raise UsageError(f"--display-file must end in .gif or .mp4, got {c.display_file}")


def _user_error_types() -> tuple:
    """The user-error types that can have been raised: errors.user_errors() imports the checkpoint
    module, i.e. TensorFlow (seconds), so a run that failed before loading it takes the cheap path."""
    from maddpg_tf2.errors import UserError, user_errors
    if "maddpg_tf2.checkpoint" in sys.modules:
        return (UsageError,) + user_errors()
    types = [UsageError, UserError]
    for module, name in (("maddpg_tf2.envs.make", "UnknownScenarioError"), ("multiagent.scenarios", "ScenarioError")):
        if module in sys.modules:
            types.append(getattr(sys.modules[module], name))
    return tuple(types)


def main(argv=None) -> int:
    try:
        config = parse_config(argv)
        from maddpg_tf2 import loop
        return loop.run(config)
    except Exception as e:
        if isinstance(e, _user_error_types()):
            _error_line(str(e))
        elif isinstance(e, OSError):
            # A folder or file the run needs went missing or unwritable mid-run (disk full, permissions).
            where = f" {e.filename}" if getattr(e, "filename", None) else ""
            _error_line(f"cannot access{where}: {e.strerror or e}; check the path exists and is writable")
        else:
            raise
        return 2


def _error_line(message: str) -> None:
    """One line on stderr, whatever the message's layout, so scripts can grep it."""
    parts = [part.strip() for part in message.strip().splitlines() if part.strip()]
    text = " ".join(p if p.endswith((".", ";", ":")) else p + ";" for p in parts[:-1]) + (" " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    print(f"maddpg-train: error: {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
