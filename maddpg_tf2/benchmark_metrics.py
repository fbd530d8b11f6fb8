"""Summaries of benchmark runs: the paper's per-scenario metrics from `benchmark_data` values.

Input: a scenario name; `episodes`, a list over episodes of lists over steps of lists over agents
of each agent's `benchmark_data` value (the original's pickle, whose episodes are wrapped in a
one-element list, is accepted too); and the adversary flag of each agent. Output: a dict

    {"scenario", "episodes", "steps_per_episode", "metrics": {name: {"mean", "stderr",
     "description"}}, "notes": [...]}

Each metric is first computed per episode, then averaged over episodes; `stderr` is the standard
error of that mean (sample std / sqrt(episodes); NaN with fewer than 2 episodes). "final" means
the last step present in the episode's data. Values per scenario (`benchmark_data`):

    simple, simple_push, simple_reference  (reward, distance) per agent
    simple_adversary      adversary: squared distance to goal; good: (d2 landmark 0, d2 landmark 1, d2 goal)
    simple_crypto         (comm state c, goal colour) per agent
    simple_speaker_listener  the agent's reward, -(listener-to-target distance)^2
    simple_spread         (reward, collisions, sum of min distances to landmarks, occupied landmarks)
    simple_tag, simple_world_comm  adversary: collisions with good agents this step; good: 0
"""
from __future__ import annotations

import json
import math
import os
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from maddpg_tf2 import fileio

# simple_adversary: the scenario's own proximity radius (its unshaped rewards count an agent "at"
# the goal within 2 x the landmark size, 2 x 0.08). The paper gives no number; this one is ours.
ADVERSARY_SUCCESS_RADIUS = 0.16
# simple_speaker_listener: listener (0.075) touching the target landmark (0.04): sizes summed.
SPEAKER_LISTENER_REACH_RADIUS = 0.115

Episode = List[list]  # list over steps of lists over agents


class _Metrics:
    """Per-episode values by name, with a description per name."""

    def __init__(self):
        self.values: Dict[str, List[float]] = {}
        self.descriptions: Dict[str, str] = {}
        self.notes: List[str] = []

    def add(self, name: str, value: float, description: str) -> None:
        self.values.setdefault(name, []).append(float(value))
        self.descriptions.setdefault(name, description)


def mean_stderr(values: Sequence[float]):
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan
    return float(v.mean()), se


def normalise_episodes(episodes) -> List[Episode]:
    """Unwrap the original's one-element episode lists; drop episodes with no steps.

    Told apart by depth: in a step (a list over agents) the items are agent values, which are
    numbers, tuples or arrays, never lists; in the original's wrapper the single item is the list
    of steps, whose first item is such a step (a list).
    """
    out = []
    for ep in episodes:
        if len(ep) == 1 and isinstance(ep[0], list) and ep[0] and isinstance(ep[0][0], list):
            ep = ep[0]
        if len(ep):
            out.append(list(ep))
    return out


def _flags(adversary_n: Optional[Sequence[bool]], n: int, default: Callable[[int], bool]):
    if adversary_n is None:
        return [default(i) for i in range(n)]
    if len(adversary_n) != n:
        raise ValueError("{} adversary flags for {} agents".format(len(adversary_n), n))
    return [bool(a) for a in adversary_n]


# ---------------------------------------------------------------------------- per scenario
def _spread(episodes, adversary_n, m: _Metrics):
    for ep in episodes:
        steps, n = len(ep), len(ep[0])
        raw = sum(float(v[1]) for step in ep for v in step)
        m.add("collisions_per_episode_raw_incl_self", raw,
              "sum over steps and agents of each agent's collision count, as the original counts "
              "it: every agent collides with itself each step, and a pair counts once per member")
        m.add("collisions_per_episode_excl_self", raw - n * steps,
              "the raw count minus agents x steps (self-collisions); a pair still counts twice")
        m.add("collisions_per_step_excl_self", (raw - n * steps) / steps,
              "collisions excluding self-collisions, per step")
        m.add("collisions_per_episode_pairs", (raw - n * steps) / 2.0,
              "colliding agent pairs summed over steps (each pair once per step, self-collisions "
              "left out): the paper's \"collisions per episode\" read literally")
        m.add("landmark_min_dist_sum_final", np.mean([float(v[2]) for v in ep[-1]]),
              "sum over landmarks of the closest agent's distance, final step")
        m.add("landmark_min_dist_sum_step_mean",
              np.mean([[float(v[2]) for v in step] for step in ep]),
              "sum over landmarks of the closest agent's distance, averaged over steps")
        m.add("occupied_landmarks_final", np.mean([float(v[3]) for v in ep[-1]]),
              "landmarks with an agent within 0.1, final step")


def _tag(episodes, adversary_n, m: _Metrics):
    for ep in episodes:
        # Good agents report 0, so without flags summing every agent counts the same touches.
        adv = _flags(adversary_n, len(ep[0]), lambda i: True)
        touches = sum(float(v) for step in ep for v, a in zip(step, adv) if a)
        m.add("touches_per_episode", touches,
              "adversary-good agent collisions summed over adversaries and steps (the paper's touches)")
        m.add("episodes_with_touch_rate", float(touches > 0),
              "fraction of episodes with at least one touch")
        m.add("touching_steps_per_episode",
              sum(float(any(float(v) > 0 for v, a in zip(step, adv) if a)) for step in ep),
              "steps with at least one predator touching a prey (each step counts once, at most "
              "the episode length)")


def _adversary(episodes, adversary_n, m: _Metrics):
    r2 = ADVERSARY_SUCCESS_RADIUS ** 2
    m.notes.append("success = within {} of the goal at the final step (2 x landmark size, the "
                   "scenario's own proximity radius; the paper states none)".format(
                       ADVERSARY_SUCCESS_RADIUS))
    for ep in episodes:
        final = ep[-1]
        # Without flags: the adversary reports one number, good agents a tuple.
        adv = _flags(adversary_n, len(final), lambda i: np.ndim(final[i]) == 0)
        adv_d2 = float(np.mean([float(v) for v, a in zip(final, adv) if a]))
        good_d2 = float(min(float(v[-1]) for v, a in zip(final, adv) if not a))
        m.add("adversary_goal_dist2_final", adv_d2, "adversary's squared distance to the goal, final step")
        m.add("good_min_goal_dist2_final", good_d2,
              "closest good agent's squared distance to the goal, final step")
        m.add("adversary_goal_dist_final", math.sqrt(adv_d2), "adversary's distance to the goal, final step")
        m.add("good_min_goal_dist_final", math.sqrt(good_d2),
              "closest good agent's distance to the goal, final step")
        m.add("good_success_rate", float(good_d2 < r2), "a good agent is at the goal, final step")
        m.add("adversary_success_rate", float(adv_d2 < r2), "the adversary is at the goal, final step")
        m.add("deception_success_rate", float(good_d2 < r2 and adv_d2 >= r2),
              "a good agent is at the goal and the adversary is not, final step")
        m.add("good_closer_than_adversary_rate", float(good_d2 < adv_d2),
              "the closest good agent is nearer the goal than the adversary, final step (no radius)")


def _decoded(c):
    """The colour index a listener's comm state names; None when silent (all zeros)."""
    c = np.asarray(c, dtype=np.float64).ravel()
    return None if not np.any(c) else int(np.argmax(c))


def _crypto(episodes, adversary_n, m: _Metrics):
    m.notes.append("Eve = the adversary, Bob = the first good agent (the listener; the speaker "
                   "comes last in the original). Success: argmax of the final comm state equals "
                   "the goal colour's index; an all-zero comm state is a failure")
    for ep in episodes:
        final = ep[-1]
        adv = _flags(adversary_n, len(final), lambda i: i == 0)
        eve = adv.index(True)
        bob = adv.index(False)
        goal = int(np.argmax(np.asarray(final[bob][1], dtype=np.float64)))
        bob_ok = _decoded(final[bob][0]) == goal
        eve_ok = _decoded(final[eve][0]) == goal
        m.add("bob_success_rate", float(bob_ok), "Bob decodes the goal colour, final step")
        m.add("eve_success_rate", float(eve_ok), "Eve decodes the goal colour, final step")
        m.add("bob_minus_eve_success", float(bob_ok) - float(eve_ok),
              "Bob's success rate minus Eve's (paired per episode)")
        m.add("bob_only_success_rate", float(bob_ok and not eve_ok),
              "Bob decodes the goal colour and Eve does not, final step")


def _speaker_listener(episodes, adversary_n, m: _Metrics):
    radius = SPEAKER_LISTENER_REACH_RADIUS
    m.notes.append("reached = listener within {} of the target at the final step (listener size "
                   "0.075 + landmark size 0.04); the value is -distance^2, so reached when "
                   "-value < {}^2".format(radius, radius))
    for ep in episodes:
        # Every agent reports the same per-agent reward; the mean guards against rounding.
        rewards = [float(np.mean([float(v) for v in step])) for step in ep]
        m.add("agent_reward_per_episode", sum(rewards),
              "one agent's reward summed over steps (the env's shared reward is agents x this)")
        m.add("reward_per_step", float(np.mean(rewards)), "one agent's reward, averaged over steps")
        final_d = math.sqrt(max(-rewards[-1], 0.0))
        m.add("listener_target_dist_final", final_d, "listener's distance to the target, final step")
        m.add("reached_target_rate", float(-rewards[-1] < radius ** 2),
              "listener within {} of the target, final step".format(radius))
        m.add("reached_target_rate_any_step", float(min(-r for r in rewards) < radius ** 2),
              "listener within {} of the target at some step of the episode".format(radius))


def _reward_distance(episodes, adversary_n, m: _Metrics):
    for ep in episodes:
        n = len(ep[0])
        adv = _flags(adversary_n, n, lambda i: False)
        groups = [("", list(range(n)))] if not any(adv) else [
            ("adversary_", [i for i in range(n) if adv[i]]),
            ("good_", [i for i in range(n) if not adv[i]])]
        for prefix, idx in groups:
            who = prefix.rstrip("_") + " agents" if prefix else "agents"
            m.add(prefix + "reward_per_episode",
                  np.mean([sum(float(step[i][0]) for step in ep) for i in idx]),
                  "reward summed over steps, mean over {}".format(who))
            m.add(prefix + "distance_final", np.mean([float(ep[-1][i][1]) for i in idx]),
                  "the scenario's benchmark distance at the final step, mean over {}".format(who))
            m.add(prefix + "distance_step_mean",
                  np.mean([[float(step[i][1]) for i in idx] for step in ep]),
                  "the scenario's benchmark distance averaged over steps, mean over {}".format(who))


def _generic(episodes, adversary_n, m: _Metrics):
    """User scenarios: numeric values (a number or a flat tuple) averaged per component."""
    try:
        arr = [np.asarray([[np.asarray(v, dtype=np.float64).ravel() for v in step] for step in ep])
               for ep in episodes]  # each [T, N, K]
    except (TypeError, ValueError):
        m.notes.append("benchmark values are not numeric: only episodes are counted")
        return
    m.notes.append("unknown scenario: each numeric component of the values, mean over agents")
    for a in arr:
        for k in range(a.shape[-1]):
            m.add("value{}_final".format(k), a[-1, :, k].mean(), "component {}, final step".format(k))
            m.add("value{}_step_mean".format(k), a[:, :, k].mean(), "component {}, mean over steps".format(k))


_SCENARIOS: Dict[str, Callable] = {
    "simple": _reward_distance,
    "simple_push": _reward_distance,
    "simple_reference": _reward_distance,
    "simple_adversary": _adversary,
    "simple_crypto": _crypto,
    "simple_speaker_listener": _speaker_listener,
    "simple_spread": _spread,
    "simple_tag": _tag,
    "simple_world_comm": _tag,
}


_REWARD_DISTANCE = tuple(prefix + name for prefix in ("", "adversary_", "good_")
                         for name in ("reward_per_episode", "distance_final", "distance_step_mean"))
# The metrics each scenario's summary can report (a test checks real summaries against it), so that
# a sweep's metric: is checked before any trial trains.
METRIC_NAMES: Dict[str, tuple] = {
    "simple": _REWARD_DISTANCE, "simple_push": _REWARD_DISTANCE, "simple_reference": _REWARD_DISTANCE,
    "simple_adversary": ("adversary_goal_dist2_final", "good_min_goal_dist2_final", "adversary_goal_dist_final",
                         "good_min_goal_dist_final", "good_success_rate", "adversary_success_rate",
                         "deception_success_rate", "good_closer_than_adversary_rate"),
    "simple_crypto": ("bob_success_rate", "eve_success_rate", "bob_minus_eve_success", "bob_only_success_rate"),
    "simple_speaker_listener": ("agent_reward_per_episode", "reward_per_step", "listener_target_dist_final",
                                "reached_target_rate", "reached_target_rate_any_step"),
    "simple_spread": ("collisions_per_episode_raw_incl_self", "collisions_per_episode_excl_self",
                      "collisions_per_step_excl_self", "collisions_per_episode_pairs", "landmark_min_dist_sum_final",
                      "landmark_min_dist_sum_step_mean", "occupied_landmarks_final"),
    "simple_tag": ("touches_per_episode", "episodes_with_touch_rate", "touching_steps_per_episode"),
    "simple_world_comm": ("touches_per_episode", "episodes_with_touch_rate", "touching_steps_per_episode"),
}
SUMMARY_NUMBERS = ("episodes", "steps_per_episode")  # top-level numbers of every summary
# Names whose form is known but not their count: a user scenario's components, an env's agents.
GENERIC_METRIC_PATTERNS = (r"value\d+_final", r"value\d+_step_mean")
RETURNS_METRIC_PATTERNS = (r"return", r"return/.+", r"length")


def metric_check(scenario: str, metric: str) -> Optional[str]:
    """None when a benchmark of `scenario` can report `metric`, else the reason naming what it reports.

    scenario: a built-in name, a scenario file, or a `pettingzoo:`/`gymnasium:` env (their summaries
    hold episode returns)."""
    import difflib
    import re

    scenario = os.fspath(scenario)
    if metric in SUMMARY_NUMBERS:
        return None
    if scenario.startswith(("pettingzoo:", "gymnasium:")):
        known, patterns = (), RETURNS_METRIC_PATTERNS
    elif scenario_key(scenario) in METRIC_NAMES:
        known, patterns = METRIC_NAMES[scenario_key(scenario)], ()
    else:
        known, patterns = (), GENERIC_METRIC_PATTERNS
    if metric in known or any(re.fullmatch(p, metric) for p in patterns):
        return None
    close = difflib.get_close_matches(metric, list(known), n=1)
    offered = ", ".join(list(known) + [p.replace("\\d+", "K").replace(".+", "AGENT") for p in patterns]
                        + list(SUMMARY_NUMBERS))
    return (f"metric '{metric}' is not reported by the benchmark of {scenario}"
            + (f" (did you mean '{close[0]}'?)" if close else "") + f"; it reports final_reward, {offered}")


def scenario_key(scenario: str) -> str:
    """'simple_tag', 'simple_tag.py' and '/path/simple_tag.py' all name simple_tag."""
    name = os.path.basename(os.fspath(scenario))
    return name[:-3] if name.endswith(".py") else name


# ---------------------------------------------------------------------------- public
def summarise(scenario: str, episodes, adversary_n: Optional[Sequence[bool]] = None) -> dict:
    """Per-scenario metrics averaged over episodes (see the module docstring)."""
    key = scenario_key(scenario)
    eps = normalise_episodes(episodes)
    m = _Metrics()
    if eps:
        _SCENARIOS.get(key, _generic)(eps, adversary_n, m)
    metrics = {}
    for name, values in m.values.items():
        mean, se = mean_stderr(values)
        metrics[name] = {"mean": mean, "stderr": se, "description": m.descriptions[name]}
    return {
        "scenario": key,
        "episodes": len(eps),
        "steps_per_episode": float(np.mean([len(e) for e in eps])) if eps else 0.0,
        "metrics": metrics,
        "notes": m.notes,
    }


def load_benchmark_pickle(path):
    """A benchmark pickle (ours or the original's), admitting data only (`fileio.read_data_pickle`)."""
    return fileio.read_data_pickle(path)


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else "{:.4g}".format(x)


def format_table(summary: dict) -> str:
    """A readable text table: metric, mean, standard error, description; then the notes."""
    lines = ["benchmark summary: {}  ({} episodes, {:.1f} steps each)".format(
        summary["scenario"], summary["episodes"], summary["steps_per_episode"])]
    rows = [(name, _fmt(v["mean"]), _fmt(v["stderr"]), v["description"])
            for name, v in summary["metrics"].items()]
    header = ("metric", "mean", "stderr", "description")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(3)]
    fmt = "{:<%d}  {:>%d}  {:>%d}  {}" % tuple(widths)
    lines.append(fmt.format(*header))
    lines.append(fmt.format(*("-" * w for w in widths), "-" * len(header[3])))
    lines.extend(fmt.format(*r) for r in rows)
    lines.extend("note: " + n for n in summary.get("notes", []))
    return "\n".join(lines) + "\n"


def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)  # strict JSON has no NaN
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def write_summary_json(path, summary: dict) -> None:
    """The summary as strict JSON (NaN written as null), atomically."""
    fileio.write_text(path, json.dumps(_json_safe(summary), indent=2, allow_nan=False) + "\n")
