"""One table of every flag's kind and range: the command line, YAML --config files and the checks
before a run starts all read it, so a value outside its range is one line naming the flag and the
range, whichever way it came in. A new flag needs an entry here (tests/test_ranges.py checks).

No imports beyond the standard library: the command line checks its input before TensorFlow loads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Union

INT_MAX = 2**63 - 1  # counters and sizes end up in int64 arrays and tensors
SEED_MAX = 2**32 - 1  # numpy's legacy seeding (np.random.seed) takes 0 .. 2**32 - 1
RAY_PROCESSES_MAX = 1024  # explorers / learners: one Ray process each
SECONDS_MAX = 86400.0  # time.sleep and Ray's waits overflow far beyond a day; nothing needs longer
# Every float has an upper bound too: far beyond these a value is not a setting but a typo, and the
# run it starts is meaningless (a uniform policy, weights thrown to float32's edge on the first step).
LR_MAX = 1.0  # Adam moves each weight by about lr per step
WEIGHT_MAX = 100.0  # loss weights whose published values are 1e-3
TEMPERATURE_MAX = 100.0  # a softmax over logits of a few units is uniform long before
CLIP_MAX = 1e6  # a gradient norm never reached: use <= 0 to switch clipping off
NOISE_MAX = 10.0  # actions live in [-1, 1] (or a softmax of a few units): noise this large drowns them


@dataclass(frozen=True)
class Range:
    """kind: 'int' or 'float' (numbers, checked) or 'text', 'switch', 'choice', 'json' (not numbers).
    low/high: inclusive bounds (None: unbounded); high may name another Config field (e.g. the
    replay size). low_open: the low bound itself is excluded. optional: None is allowed (the flag's
    default means 'derived'). why: what the bound protects, said in the error."""

    kind: str
    low: Optional[float] = None
    high: Union[None, float, str] = None
    low_open: bool = False
    optional: bool = False
    why: str = ""


def _int(low, high=INT_MAX, **kw):
    return Range("int", low, high, **kw)


def _float(low=None, high=None, **kw):
    return Range("float", low, high, **kw)


TEXT, SWITCH, CHOICE, JSON = Range("text"), Range("switch"), Range("choice"), Range("json")

# Config field (argparse dest) -> its range.
RANGES = {
    # the original's flags
    "scenario": TEXT, "max_episode_len": _int(1), "num_episodes": _int(1), "num_adversaries": _int(0),
    "good_policy": CHOICE, "adv_policy": CHOICE, "lr": _float(0, LR_MAX, low_open=True, why="Adam's step size"),
    "gamma": _float(0, 1),
    "batch_size": _int(1), "num_units": _int(1, 16384, why="the hidden layers grow with its square"),
    "exp_name": TEXT, "save_dir": TEXT, "save_rate": _int(1), "load_dir": TEXT, "restore": SWITCH,
    "display": SWITCH, "benchmark": SWITCH, "benchmark_iters": _int(1), "benchmark_dir": TEXT,
    "plots_dir": TEXT,
    # beyond the original
    "config": TEXT, "seed": _int(0, SEED_MAX, optional=True, why="what numpy and TensorFlow accept"),
    "benchmark_deterministic": SWITCH, "num_envs": _int(1), "display_episodes": _int(1, optional=True),
    "display_file": TEXT, "save_replay": SWITCH, "tensorboard_dir": TEXT, "quiet": SWITCH,
    "overwrite": SWITCH, "debug": SWITCH, "buffer_size": _int(1), "jit_compile": SWITCH,
    "intra_op_threads": _int(0, 1024, why="0: TensorFlow's choice"),
    "inter_op_threads": _int(0, 1024, why="0: TensorFlow's choice"),
    # the paper's extensions
    "ensemble_size": _int(1, 1024), "ensemble_member": _int(0, optional=True),
    "adversaries_from": TEXT, "infer_policies": SWITCH,
    "infer_entropy": _float(0, WEIGHT_MAX, why="a loss weight; the paper's is 1e-3"),
    "infer_target_action": CHOICE, "agent_updates": CHOICE, "target_init": CHOICE,
    # Ray
    "explorers": _int(0, RAY_PROCESSES_MAX, why="one Ray process each; 0: one process"),
    "ray_address": TEXT, "inference": CHOICE, "async_updates": SWITCH,
    "coded_scheme": CHOICE, "learners": _int(1, RAY_PROCESSES_MAX, optional=True, why="one Ray process each"),
    "stragglers": _int(0, RAY_PROCESSES_MAX), "straggler_delay": _float(0, SECONDS_MAX, why="seconds"),
    "straggler_failure": SWITCH, "round_timeout": _float(0, SECONDS_MAX, low_open=True, why="seconds"),
    # estimators and learning
    "gradient_estimator": CHOICE, "gumbel_temp": _float(0, TEMPERATURE_MAX, low_open=True, why="a temperature"),
    "rao_k": _int(1), "gst_gap": _float(0, TEMPERATURE_MAX, why="a logit gap"),
    "tags_start": _float(0, TEMPERATURE_MAX, low_open=True, why="a temperature"),
    "tags_end": _float(0, TEMPERATURE_MAX, low_open=True, why="a temperature"),
    "tags_period": _int(1), "log_grad_variance": SWITCH, "log_grad_variance_interval": _int(1),
    "grad_variance_draws": _int(2, 1024, why="the draws are unrolled into one graph"),
    "actor_lr": _float(0, LR_MAX, low_open=True, optional=True, why="Adam's step size"),
    "critic_lr": _float(0, LR_MAX, low_open=True, optional=True, why="Adam's step size"),
    "policy_regulariser": _float(0, WEIGHT_MAX, why="a loss weight; the original's is 1e-3"),
    "grad_clip": _float(None, CLIP_MAX, optional=True, why="<= 0: off"),
    "tau": _float(0, 1, low_open=True), "standardise_rewards": SWITCH, "warmup_episodes": _int(0),
    "train_repeats": _int(1),
    # the MADDPG family
    "policy_update_rate": _int(1), "use_critic_noise": SWITCH, "use_critic_noise_self": SWITCH,
    "critic_action_noise_stddev": _float(0, NOISE_MAX, why="a noise scale on actions"),
    "action_noise_clip": _float(0, NOISE_MAX, why="a bound on noise added to actions"),
    "adv_eps": _float(0, NOISE_MAX, why="a perturbation's size on actions"),
    "adv_eps_s": _float(0, NOISE_MAX, why="a perturbation's size on actions"), "m3ddpg_released": SWITCH,
    "real_q_log": SWITCH, "q_log_ep_len": _int(0, 100000, why="steps rolled out per sampled state"),
    "q_log_states": _int(1, 100000, why="worlds stepped side by side"),
    "perturb_opponents": _float(0, NOISE_MAX, why="a perturbation's size on actions"), "perturb_team": CHOICE,
    "perturb_kind": CHOICE,
    # other environments
    "env_kwargs": JSON, "continuous_actions": SWITCH, "box_policy": CHOICE,
    "parameter_sharing": CHOICE,
    "action_noise": _float(0, NOISE_MAX, why="a fraction of half the action range"), "update_every": _int(1, "buffer_size", why="a round per more transitions "
                                                    "than the replay holds would never see most of them"),
    "learning_starts": _int(0, "buffer_size", optional=True, why="the replay must hold them"),
    # experiment tracking
    "track": CHOICE, "track_project": TEXT, "track_checkpoints": SWITCH,
}


def flag_name(dest: str) -> str:
    """The command-line spelling of a Config field (two are renamed)."""
    return {"grad_clip": "--gradient-clip", "tau": "--soft-update-size"}.get(dest, "--" + dest.replace("_", "-"))


def describe(dest: str, values: Optional[dict] = None) -> str:
    """'a whole number in 1..1000000 (--buffer-size)' or 'a number in (0, 1]': the range as said to the user."""
    r = RANGES[dest]
    high, notes = r.high, [r.why] if r.why else []
    if isinstance(high, str):
        name, high = flag_name(high), (values or {}).get(high)
        notes.insert(0, name) if high is not None else None
        high = name if high is None else high
    if r.kind == "int":
        low = int(r.low) + (1 if r.low_open else 0)
        text = f"a whole number in {low}..{high}" if high is not None else f"a whole number of at least {low}"
    elif r.low is None and high is None:
        text = "a finite number"
    elif high is None:
        text = f"a finite number {'>' if r.low_open else '>='} {r.low:g}"
    elif r.low is None:
        text = f"a finite number of at most {high:g}"
    else:
        text = f"a number in {'(' if r.low_open else '['}{r.low:g}, {high:g}]"  # no float bound names a flag
    return text + (f" ({': '.join(notes)})" if notes else "")


def out_of_range(dest: str, value, values: Optional[dict] = None) -> Optional[str]:
    """None if `value` fits the range of `dest`, else the one-line reason. values: the other fields
    (for a bound that names one)."""
    r = RANGES[dest]
    if r.kind not in ("int", "float"):
        return None
    if value is None:
        return None if r.optional else f"{flag_name(dest)} needs a value: {describe(dest, values)}"
    high = (values or {}).get(r.high) if isinstance(r.high, str) else r.high
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = number and (r.kind == "float" or isinstance(value, int)) and math.isfinite(value)
    if ok and r.low is not None:
        ok = value > r.low if r.low_open else value >= r.low
    if ok and high is not None:
        ok = value <= high
    if ok:
        return None
    return f"{flag_name(dest)} must be {describe(dest, values)}, got {value!r}"


def parse_number(dest: str):
    """argparse type for a numeric flag: a non-number says the flag's range too."""
    r = RANGES[dest]

    def parse(text):
        import argparse

        try:
            return int(text) if r.kind == "int" else float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"must be {describe(dest)}, got {text!r}") from None

    parse.__name__ = "whole number" if r.kind == "int" else "number"
    return parse
