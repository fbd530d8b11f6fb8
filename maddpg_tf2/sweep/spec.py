"""SWEEP.yaml: read and check it whole, then expand it into trials, before anything starts.

    base:      any maddpg-train keys, as in a --config file (same names, same types)
    grid:      keys with lists of values; every combination is one configuration
    seeds:     a list of seeds; every configuration runs once per seed
    benchmark: optional --benchmark keys (e.g. benchmark-iters: 25000) to evaluate each trained trial
    metric:    a field of the benchmark summary (e.g. reached_target_rate) or final_reward

Keys are checked by the training command's own --config checks (cli.config_values), and every
trial's whole configuration by cli.parse_config, so a sweep refuses exactly what maddpg-train would.
No TensorFlow and no Ray here: a bad file costs a second.
"""
from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from maddpg_tf2 import fileio
from maddpg_tf2.errors import UserError

TOP_KEYS = ("base", "grid", "seeds", "benchmark", "metric")
FINAL_REWARD = "final_reward"
# Settings the sweep sets for every trial (where outputs go, which seed, resuming): not the user's.
OWNED = {"seed": "seeds:", "save_dir": "the trial folder", "load_dir": "the trial folder",
         "plots_dir": "the trial folder", "benchmark_dir": "the trial folder", "exp_name": "the trial name",
         "restore": "the sweep (it resumes unfinished trials itself)", "benchmark": "the benchmark: section",
         "display": "nothing (a sweep trains)", "save_replay": "the sweep (always on, so resumes are exact)",
         "quiet": "the sweep (always on)", "overwrite": "nothing (a trial never replaces another's checkpoint)",
         "display_episodes": "nothing (a sweep trains)", "display_file": "nothing (a sweep trains)",
         "track": "maddpg-sweep --track (each trial a run, grouped under the sweep)",
         "track_project": "maddpg-sweep --track-project"}
# Keys a benchmark: section may hold (how to evaluate; the network shapes come from base/grid).
BENCHMARK_KEYS = ("benchmark_iters", "benchmark_deterministic", "num_envs", "ensemble_member",
                  "adversaries_from", "max_episode_len", "intra_op_threads", "inter_op_threads",
                  "perturb_opponents", "perturb_team", "perturb_kind")
SEED_MAX = 2**32 - 1


class SweepSpecError(UserError):
    """SWEEP.yaml is unreadable or names something maddpg-train would refuse."""


@dataclass
class Trial:
    name: str  # <config>_s<seed>: the folder under DIR/trials and the run's --exp-name
    config_name: str  # the grid point
    point: Dict[str, object]  # grid key (as written in SWEEP.yaml) -> value
    seed: int
    values: Dict[str, object]  # Config field -> value: base with the grid point over it


@dataclass
class Sweep:
    path: str
    base: Dict[str, object]
    grid: Dict[str, list]  # keys as written, in file order
    seeds: List[int]
    benchmark: Optional[Dict[str, object]]
    metric: str
    trials: List[Trial] = field(default_factory=list)
    # maddpg-sweep --track: keys every trial's config.yaml gets, not part of what makes a trial itself
    track_values: Dict[str, object] = field(default_factory=dict)

    @property
    def grid_keys(self) -> List[str]:
        return list(self.grid)


def load(path: str, seeds: Optional[List[int]] = None) -> Sweep:
    """The checked sweep of the YAML file at `path`, its trials expanded; SweepSpecError otherwise.
    seeds: the command line's (--seeds), instead of the file's seeds: list."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = fileio.load_yaml(f)  # a key given twice is an error
    except OSError as e:
        raise SweepSpecError(f"cannot read sweep file {path}: {e.strerror}; pass an existing SWEEP.yaml") from None
    except UnicodeDecodeError:
        raise SweepSpecError(f"sweep file {path} is not UTF-8 text; pass a YAML file") from None
    except yaml.YAMLError as e:
        raise SweepSpecError(f"sweep file {path} is not valid YAML ({str(e).splitlines()[0]}); fix the file") from None
    return from_mapping(data, path, seeds)


def parse_seeds(text: str, flag: str = "--seeds") -> List[int]:
    """`0,1,2` -> [0, 1, 2], each a whole number in 0..SEED_MAX, none twice; SweepSpecError otherwise."""
    parts = [part.strip() for part in str(text).split(",")]
    if not any(parts):
        raise SweepSpecError(f"{flag} needs at least one seed, got {text!r}; e.g. {flag} 0,1,2")
    seeds = []
    for part in parts:
        if not re.fullmatch(r"\d+", part) or int(part) > SEED_MAX:
            raise SweepSpecError(f"{flag}: every seed must be a whole number in 0..{SEED_MAX}, got {part!r} "
                                 f"in {text!r}; e.g. {flag} 0,1,2")
        seeds.append(int(part))
    if len(set(seeds)) != len(seeds):
        raise SweepSpecError(f"{flag} lists a seed twice ({text}); list each once")
    return seeds


def from_mapping(data, path: str = "SWEEP.yaml", seeds: Optional[List[int]] = None) -> Sweep:
    if not isinstance(data, dict):
        raise SweepSpecError(f"{path} must hold a mapping with the keys {', '.join(TOP_KEYS)}")
    for key in data:
        if key not in TOP_KEYS:
            raise SweepSpecError(f"{path}: unknown key '{key}'; a sweep file has {', '.join(TOP_KEYS)} "
                                 f"(training settings go under base:)")
    for key in ("grid", "seeds", "metric"):
        if key not in data and not (key == "seeds" and seeds is not None):
            raise SweepSpecError(f"{path}: '{key}:' is missing; {_HINTS[key]}")
    base = _flag_values(data.get("base") or {}, f"{path} base", "base")
    grid = _grid(data["grid"], path)
    seeds = list(seeds) if seeds is not None else _seeds(data["seeds"], path)  # --seeds wins over the file
    benchmark = None
    if data.get("benchmark") is not None:
        benchmark = _flag_values(data["benchmark"], f"{path} benchmark", "benchmark")
        for dest in benchmark:
            if dest not in BENCHMARK_KEYS:
                raise SweepSpecError(f"{path} benchmark: '{dest.replace('_', '-')}' is not an evaluation "
                                     f"setting; it takes {', '.join(k.replace('_', '-') for k in BENCHMARK_KEYS)}")
    metric = data["metric"]
    if not isinstance(metric, str) or not metric.strip():
        raise SweepSpecError(f"{path}: metric must be a name, got {metric!r}; pass final_reward or a field of "
                             f"the benchmark summary such as reached_target_rate")
    if metric != FINAL_REWARD and benchmark is None:
        raise SweepSpecError(f"{path}: metric '{metric}' is a benchmark field but there is no benchmark: "
                             f"section; add one (e.g. benchmark: {{benchmark-iters: 25000}}) or use "
                             f"metric: final_reward")
    sweep = Sweep(path=path, base=base, grid=grid, seeds=seeds, benchmark=benchmark, metric=metric)
    sweep.trials = expand(sweep)
    _check_trials(sweep)
    _check_metric(sweep)
    return sweep


def _check_metric(sweep: Sweep) -> None:
    """The metric is one that every trial's benchmark reports (a misspelt name would otherwise show
    only after every trial has trained)."""
    if sweep.metric == FINAL_REWARD:
        return
    from maddpg_tf2.benchmark_metrics import metric_check
    from maddpg_tf2.config import Config

    for scenario in dict.fromkeys(str(t.values.get("scenario") or Config().scenario) for t in sweep.trials):
        problem = metric_check(scenario, sweep.metric)
        if problem:
            raise SweepSpecError(f"{sweep.path}: {problem}; fix metric:")


_HINTS = {"grid": "add the settings to vary, e.g. grid: {lr: [0.01, 0.001]}",
          "seeds": "add the seeds to run, e.g. seeds: [0, 1, 2] (or pass --seeds 0,1,2)",
          "metric": "add the number to compare, e.g. metric: final_reward"}


def _flag_values(mapping, where: str, section: str) -> Dict[str, object]:
    from maddpg_tf2.cli import UsageError, config_values

    if not isinstance(mapping, dict):
        raise SweepSpecError(f"{where} must be a mapping of maddpg-train keys to values, got {mapping!r}")
    try:
        values = config_values(mapping, where)
    except UsageError as e:
        raise SweepSpecError(str(e)) from None
    for dest in values:
        if dest in OWNED and not (section == "benchmark" and dest in BENCHMARK_KEYS):
            raise SweepSpecError(f"{where}: '{dest.replace('_', '-')}' is set by {OWNED[dest]} for every "
                                 f"trial; remove it from {section}:")
    return values


def _grid(grid, path: str) -> Dict[str, list]:
    if not isinstance(grid, dict) or not grid:
        raise SweepSpecError(f"{path}: grid must be a non-empty mapping of keys to lists of values, got "
                             f"{grid!r}; e.g. grid: {{lr: [0.01, 0.001]}}")
    out, dests = {}, set()
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SweepSpecError(f"{path} grid: '{key}' must be a non-empty list of values, got {values!r}; "
                                 f"e.g. {key}: [a, b]")
        checked = [_flag_values({key: value}, f"{path} grid", "grid") for value in values]
        dest = next(iter(checked[0]))
        if dest in dests:
            raise SweepSpecError(f"{path} grid: '{key}' is given twice (as '-' and '_' spellings); keep one")
        dests.add(dest)
        if len({repr(c[dest]) for c in checked}) != len(checked):
            raise SweepSpecError(f"{path} grid: '{key}' lists a value twice ({values!r}); list each once")
        out[key] = values
    return out


def _seeds(seeds, path: str) -> List[int]:
    if not isinstance(seeds, list) or not seeds:
        raise SweepSpecError(f"{path}: seeds must be a non-empty list of whole numbers, got {seeds!r}; "
                             f"e.g. seeds: [0, 1, 2]")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= SEED_MAX:
            raise SweepSpecError(f"{path}: every seed must be a whole number in 0..{SEED_MAX}, got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise SweepSpecError(f"{path}: seeds lists a seed twice ({seeds}); list each once")
    return list(seeds)


def _slug(value) -> str:
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    text = os.path.basename(text.rstrip("/")) if isinstance(value, str) and "/" in text else text
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-") or "x"


def config_name(point: Dict[str, object]) -> str:
    """The folder-safe name of a grid point: key-value pairs joined by '_' (lr-0.01_batch-size-32)."""
    return "_".join(f"{_slug(str(k).replace('_', '-'))}-{_slug(v)}" for k, v in point.items())


def absolute_paths(values: Dict[str, object]) -> Dict[str, object]:
    """Paths resolved against the folder the sweep starts in: trials run elsewhere (a Ray worker's
    folder), and maddpg-train resolves them against its own working folder."""
    out = dict(values)
    scenario = out.get("scenario")
    if isinstance(scenario, str) and ":" not in scenario and os.path.isfile(scenario):
        out["scenario"] = os.path.abspath(scenario)
    for key in ("adversaries_from", "tensorboard_dir"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = os.path.abspath(out[key])
    return out


def expand(sweep: Sweep) -> List[Trial]:
    from maddpg_tf2.cli import config_values

    trials = []
    keys = list(sweep.grid)
    for combo in itertools.product(*(sweep.grid[k] for k in keys)):
        point = dict(zip(keys, combo))
        values = dict(sweep.base)
        values.update(config_values(point, f"{sweep.path} grid"))
        values = absolute_paths(values)
        name = config_name(point)
        for seed in sweep.seeds:
            trials.append(Trial(name=f"{name}_s{seed}", config_name=name, point=point, seed=seed, values=values))
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        clash = next(n for n in names if names.count(n) > 1)
        raise SweepSpecError(f"{sweep.path} grid: two grid points share the folder name '{clash}' once "
                             f"written as file names; make the values differ in letters or digits")
    return trials


def _check_trials(sweep: Sweep) -> None:
    """Every trial's full configuration through maddpg-train's own checks (cross-field ones too)."""
    from maddpg_tf2.sweep.trial import check_trial

    seen = set()
    for trial in sweep.trials:
        if trial.config_name in seen:
            continue
        seen.add(trial.config_name)
        problem = check_trial(sweep, trial)
        if problem:
            raise SweepSpecError(f"{sweep.path}: grid point {trial.config_name}: {problem}")
