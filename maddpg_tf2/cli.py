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

from maddpg_tf2 import fileio
from maddpg_tf2.config import Config
from maddpg_tf2.errors import UsageError
from maddpg_tf2.ranges import RANGES, describe, out_of_range, parse_number

ESTIMATORS = ("gumbel", "stgs", "grmck", "gst", "tags")
POLICIES = ("maddpg", "ddpg", "matd3", "mmmaddpg")
CODED_SCHEMES = ("none", "mds", "random_sparse", "replication", "ldpc")
TRACKERS = ("mlflow", "wandb")  # tracking.BACKENDS
BOX_POLICIES = ("deterministic", "gaussian")  # distributions.BOX_POLICIES (not imported: it loads TensorFlow)
PERTURB_TEAMS = ("good", "adversaries")  # perturb.TEAMS (not imported: it loads TensorFlow)
PERTURB_KINDS = ("worst", "random")  # perturb.KINDS


class _OneLineParser(argparse.ArgumentParser):
    """argparse's own errors as one line (no usage block), like every other input error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    d = Config()
    p = _OneLineParser(
        prog="maddpg-train",
        description="MADDPG on the multi-agent particle environments (TensorFlow 2)")
    # Environment
    p.add_argument("--scenario", "--env", dest="scenario", type=str, default=d.scenario, help="built-in scenario name (e.g. simple_spread), the path of a scenario .py file, pettingzoo:MODULE (e.g. pettingzoo:mpe2.simple_spread_v3) or gymnasium:ID (e.g. gymnasium:Pendulum-v1)")
    p.add_argument("--max-episode-len", type=int, default=d.max_episode_len, help="steps per episode (time limit)")
    p.add_argument("--num-episodes", type=int, default=d.num_episodes, help="training stops after this many episodes")
    p.add_argument("--num-adversaries", type=int, default=d.num_adversaries, help="the first k agents use --adv-policy")
    p.add_argument("--good-policy", type=str, default=d.good_policy, choices=POLICIES, help="maddpg (centralised critic), ddpg (local critic), matd3 (twin critics, delayed actor) or mmmaddpg (M3DDPG) for the other agents")
    p.add_argument("--adv-policy", "--bad-policy", dest="adv_policy", type=str, default=d.adv_policy, choices=POLICIES, help="the rule of the first --num-adversaries agents (the second spelling is M3DDPG's train.py's)")
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
    new.add_argument("--overwrite", action="store_true", default=d.overwrite, help="let a fresh run replace a checkpoint of another configuration in --save-dir")
    new.add_argument("--debug", action="store_true", default=d.debug, help="full tracebacks for errors in your scenario file and other user errors")
    new.add_argument("--buffer-size", type=int, default=d.buffer_size, help="replay capacity in transitions")
    new.add_argument("--jit-compile", action="store_true", default=d.jit_compile, help="compile the train step with XLA")
    new.add_argument("--intra-op-threads", type=int, default=d.intra_op_threads, help="TensorFlow threads inside one op (0: TensorFlow's choice)")
    new.add_argument("--inter-op-threads", type=int, default=d.inter_op_threads, help="TensorFlow ops run side by side (0: TensorFlow's choice)")
    paper = p.add_argument_group("the paper's extensions (Lowe et al. 2017, sections 4.2 and 4.3)")
    paper.add_argument("--ensemble-size", type=int, default=d.ensemble_size, help="K sub-policies per agent, one drawn at random per agent and episode (1: off)")
    paper.add_argument("--ensemble-member", type=int, default=d.ensemble_member, help="--display/--benchmark: every agent acts with sub-policy k (default: a random one per episode, as in training)")
    paper.add_argument("--adversaries-from", type=str, default=d.adversaries_from, help="--display/--benchmark: the scenario's adversaries act with the checkpoint in this folder, the good agents with --load-dir's (teams trained in separate runs against each other)")
    paper.add_argument("--infer-policies", action="store_true", default=d.infer_policies, help="critic targets use learned approximations of the other agents' policies")
    paper.add_argument("--infer-entropy", type=float, default=d.infer_entropy, help="entropy weight lambda of the approximations' loss")
    paper.add_argument("--infer-target-action", type=str, default=d.infer_target_action, choices=("sample", "mode"), help="approximate target policies act by a sample (as the target actors) or their mode")
    new.add_argument("--agent-updates", type=str, default=d.agent_updates, choices=("sequential", "simultaneous"), help="agents updated one after another (original) or all from the pre-round weights in one batched step")
    new.add_argument("--parameter-sharing", type=str, default=d.parameter_sharing, choices=("none", "team"), help="team: agents of one team (same rule and spaces) share actor, critic, targets and optimizers; a one-hot team index joins their observations")
    new.add_argument("--target-init", type=str, default=d.target_init, choices=("independent", "copy"), help="targets initialised independently (original) or as copies")
    fam = p.add_argument_group("the MADDPG family: matd3 and mmmaddpg agents (--good-policy / --adv-policy)")
    fam.add_argument("--policy-update-rate", type=int, default=d.policy_update_rate, help="MATD3: actor and targets updated once per this many critic updates")
    fam.add_argument("--use-critic-noise", action="store_true", default=d.use_critic_noise, help="MATD3: clipped noise on every agent's next action in the critic target")
    fam.add_argument("--use-critic-noise-self", action="store_true", default=d.use_critic_noise_self, help="MATD3: clipped noise on the agent's own next action only")
    fam.add_argument("--critic-action-noise-stddev", type=float, default=d.critic_action_noise_stddev, help="MATD3: std of the target-policy smoothing noise")
    fam.add_argument("--action-noise-clip", type=float, default=d.action_noise_clip, help="MATD3: the smoothing noise is clipped to [-clip, clip]")
    fam.add_argument("--adv-eps", type=float, default=d.adv_eps, help="M3DDPG: perturbation step against opponents")
    fam.add_argument("--adv-eps-s", type=float, default=d.adv_eps_s, help="M3DDPG: perturbation step against teammates")
    fam.add_argument("--m3ddpg-released", action="store_true", default=d.m3ddpg_released, help="M3DDPG as its released code computes it (actor loss unperturbed, every other agent perturbed by the opponents' eps), not the paper's")
    fam.add_argument("--real-q-log", action="store_true", default=d.real_q_log, help="every 5 save points, log each critic's estimate against the discounted return of the current policies from sampled states (MATD3's overestimation measure)")
    fam.add_argument("--q-log-ep-len", type=int, default=d.q_log_ep_len, help="--real-q-log: steps the policies run from each sampled state")
    fam.add_argument("--q-log-states", type=int, default=d.q_log_states, help="--real-q-log: states sampled per measure")
    fam.add_argument("--perturb-opponents", type=float, default=d.perturb_opponents, metavar="EPS", help="--display/--benchmark: the evaluated team's opponents act perturbed by a step of EPS against its critics (M3DDPG's robustness test; 0: off)")
    fam.add_argument("--perturb-team", type=str, default=d.perturb_team, choices=PERTURB_TEAMS, help="the evaluated team, whose opponents are perturbed (good: the adversaries are)")
    fam.add_argument("--perturb-kind", type=str, default=d.perturb_kind, choices=PERTURB_KINDS, help="worst: down the gradient of the evaluated team's Q; random: a random direction of the same size (the control)")
    dist = p.add_argument_group("training across machines (Ray)")
    dist.add_argument("--explorers", type=int, default=d.explorers, help="Ray explorer processes, each stepping --num-envs worlds (0: one process)")
    dist.add_argument("--ray-address", type=str, default=d.ray_address, help="Ray cluster that explorers or coded learners join (auto or host:port; default: start a local Ray)")
    dist.add_argument("--inference", type=str, default=d.inference, choices=("local", "central"), help="explorers act with their own actor copies (local) or through one batching inference actor (central)")
    dist.add_argument("--async-updates", action="store_true", default=d.async_updates, help="explorers and learner run free; reports the update-to-data ratio achieved")

    coded = p.add_argument_group("coded distributed training on Ray (Wang, Xie, Atanasov 2021)")
    coded.add_argument("--coded-scheme", type=str, default=d.coded_scheme, choices=CODED_SCHEMES, help="compute each update round on Ray learners coded by this scheme (none: uncoded, waits for all)")
    coded.add_argument("--learners", type=int, default=d.learners, help="number of Ray learners N (default: agents, 2 x agents for replication, agents + 1 otherwise)")
    coded.add_argument("--stragglers", type=int, default=d.stragglers, help="learners drawn each round to straggle (simulated)")
    coded.add_argument("--straggler-delay", type=float, default=d.straggler_delay, help="seconds a straggler waits before answering")
    coded.add_argument("--straggler-failure", action="store_true", default=d.straggler_failure, help="stragglers never answer")
    coded.add_argument("--round-timeout", type=float, default=d.round_timeout, help="seconds a round waits for decodable answers before re-sending the missing work")

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

    envs = p.add_argument_group("other environments and continuous actions")
    envs.add_argument("--env-kwargs", type=_json_mapping, default=d.env_kwargs, help="JSON object of keyword arguments for a pettingzoo:/gymnasium: env, e.g. '{\"continuous_actions\": true}'")
    envs.add_argument("--continuous-actions", action="store_true", default=d.continuous_actions, help="particle scenarios with the original's continuous actions (discrete_action_space=False)")
    envs.add_argument("--box-policy", type=str, default=d.box_policy, choices=BOX_POLICIES, help="actors for Box action spaces: deterministic + exploration noise (DDPG) or a squashed Gaussian")
    envs.add_argument("--action-noise", type=float, default=d.action_noise, help="deterministic Box actors: exploration noise std, fraction of half the action range")
    envs.add_argument("--update-every", type=int, default=d.update_every, help="one update round per this many collected transitions (original: 100)")
    envs.add_argument("--learning-starts", type=int, default=d.learning_starts, help="transitions stored before updates start (default: batch size * max episode length)")
    track = p.add_argument_group("experiment tracking (MLflow, Weights & Biases)")
    track.add_argument("--track", action="append", choices=TRACKERS, default=None, help="also log the run to this tracker (give twice for both): params, the TensorBoard scalars, benchmark summaries, plots and animations")
    track.add_argument("--track-project", type=str, default=d.track_project, help="MLflow experiment / W&B project (default: the scenario's name)")
    track.add_argument("--track-checkpoints", action="store_true", default=d.track_checkpoints, help="tracked runs also store the latest checkpoint's weights")
    for action in p._actions:  # numbers parse through the range table, so a non-number names the range
        if action.dest in RANGES and RANGES[action.dest].kind in ("int", "float"):
            action.type = parse_number(action.dest)
    return p


def _json_mapping(text):
    """--env-kwargs: a JSON object (or, from YAML, a mapping already)."""
    import json

    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as e:
        raise argparse.ArgumentTypeError(f"not valid JSON ({e}); pass an object such as '{{\"max_cycles\": 50}}'")
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object, got {text!r}")
    return value


_json_mapping.__name__ = "JSON object"


def _yaml_values(path, parser):
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = fileio.load_yaml(f) or {}  # a key given twice is an error
    except OSError as e:
        raise UsageError(f"cannot read config file {path}: {e.strerror}; pass an existing YAML file to --config")
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not UTF-8 text; pass a YAML file")
    except yaml.YAMLError as e:
        raise UsageError(f"config file {path} is not valid YAML ({str(e).splitlines()[0]}); fix the file")
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must hold a mapping of flag names to values")
    return config_values(data, f"config file {path}", parser)


def config_values(data: dict, where: str, parser=None) -> dict:
    """A mapping of flag names (either spelling) to YAML values, checked as `--config` checks its file
    (unknown keys, types, choices): Config field name -> value. `where` opens each error message.
    maddpg-sweep checks its SWEEP.yaml's keys with this, so they are exactly --config's."""
    parser = parser or build_parser()
    known = {a.dest: a for a in parser._actions if a.dest not in ("help", "config")}
    values = {}
    for key, value in data.items():
        dest = str(key).replace("-", "_").lstrip("_")
        dest = {"gradient_clip": "grad_clip", "soft_update_size": "tau", "env": "scenario",
                 "bad_policy": "adv_policy"}.get(dest, dest)
        if dest not in known:
            raise UsageError(f"{where}: unknown key '{key}'; keys are the flag names, e.g. 'batch-size' or 'batch_size'")
        if dest in values:
            raise UsageError(f"{where}: '{key}' is given twice (as '-' and '_' spellings); keep one")
        values[dest] = _yaml_value(where, key, value, known[dest])
    return values


def _yaml_value(source, key, value, action):
    """A YAML value checked as strictly as the flag's parser: bools for switches, whole numbers for
    integer flags (a string is parsed as on the command line, e.g. '1e-3' which YAML leaves a string)."""
    where = f"{source}: '{key}'"
    if action.nargs == 0:  # a switch (store_true)
        if not isinstance(value, bool):
            raise UsageError(f"{where} is a switch and takes true or false, got {value!r}")
        return value
    if action.dest == "track":  # a name or a list of names
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or any(n not in action.choices for n in names):
            raise UsageError(f"{where} must be one of {', '.join(action.choices)} or a list of them, got {value!r}")
        return list(names)
    if value is None:
        if action.default is None:
            return None
        raise UsageError(f"{where} needs a value (default {action.default!r}); remove the key to keep the default")
    numeric = RANGES.get(action.dest) and RANGES[action.dest].kind in ("int", "float")
    kind = {"int": int, "float": float}[RANGES[action.dest].kind] if numeric else (action.type or str)
    ok = {int: (int, str), float: (int, float, str), str: (str, int, float),
          _json_mapping: (str, dict)}.get(kind, (str,))
    what = describe(action.dest) if numeric else _KIND_NAMES.get(kind, kind.__name__)
    if isinstance(value, bool) or not isinstance(value, ok):
        raise UsageError(f"{where} must be {what}, got {value!r}")
    try:
        value = kind(value)
    except (TypeError, ValueError, OverflowError, argparse.ArgumentTypeError):
        raise UsageError(f"{where} must be {what}, got {value!r}") from None
    if isinstance(value, str) and "\0" in value:
        raise UsageError(f"{where} contains a NUL character")
    if action.choices and value not in action.choices:
        raise UsageError(f"{where} must be one of {', '.join(action.choices)}, got {value!r}")
    return value


_KIND_NAMES = {int: "a whole number", float: "a number", str: "a string", _json_mapping: "a mapping (or a JSON object)"}


def parse_config(argv=None) -> Config:
    parser = build_parser()
    args = parser.parse_args(argv)
    values = vars(args)
    config_file = values.pop("config")
    # The flags typed on the command line: parse again with no defaults to see them.
    explicit = argparse.Namespace()
    quiet = build_parser()
    for action in quiet._actions:
        action.default = argparse.SUPPRESS
    quiet.parse_args(argv, namespace=explicit)
    given = set(vars(explicit))
    if config_file:
        merged = _yaml_values(config_file, parser)
        given |= set(merged)
        merged.update({k: v for k, v in vars(explicit).items() if k != "config"})  # flags win over the file
        values.update(merged)
    check_ranges(values)  # before -inf for --gradient-clip could read as 'off' below
    if values.get("grad_clip") is not None and values["grad_clip"] <= 0:
        values["grad_clip"] = None
    if (values["display"] or values["benchmark"]) and "ensemble_size" not in given:
        # A checkpoint records its ensemble size K: --display/--benchmark need not be told again.
        values["ensemble_size"] = recorded_ensemble_size(values["load_dir"] or values["save_dir"])
    config = Config(**values)
    validate(config)
    return config


def recorded_ensemble_size(folder: str) -> int:
    """K of the checkpoint in `folder` (its meta.json; 1 when there is none or it says nothing, as for
    the original's checkpoints). Read as JSON here: the command line checks its input before TensorFlow."""
    import json

    try:
        with open(os.path.join(folder, "meta.json"), encoding="utf-8") as f:
            size = json.load(f).get("ensemble_size", 1)
        return size if isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= 1024 else 1
    except (OSError, ValueError, AttributeError):
        return 1


def check_ranges(values: dict) -> None:
    """Every numeric setting against its row of maddpg_tf2/ranges.py: finite, within its bounds."""
    for dest in RANGES:
        if dest in values:
            problem = out_of_range(dest, values[dest], values)
            if problem:
                raise UsageError(f"{problem}; pass a value in that range")


def validate(c: Config) -> None:
    check_ranges(vars(c))
    if c.ensemble_member is not None:
        if not (c.display or c.benchmark):
            raise UsageError("--ensemble-member picks the sub-policy that acts in --display or --benchmark; "
                             "training always draws one at random per episode, so drop it or add one of those")
        if not 0 <= c.ensemble_member < c.ensemble_size:
            raise UsageError(f"--ensemble-member must lie in 0..{c.ensemble_size - 1} (--ensemble-size "
                             f"{c.ensemble_size}, as the checkpoint records it), got {c.ensemble_member}")
    if c.adversaries_from is not None and not (c.display or c.benchmark):
        raise UsageError("--adversaries-from sets who plays the adversaries in --display or --benchmark; add one "
                         "of those, or drop it")
    if c.perturb_opponents and not (c.display or c.benchmark):
        raise UsageError("--perturb-opponents perturbs the opponents of trained agents in --display or --benchmark "
                         "(training perturbs through --adv-policy mmmaddpg); add one of those, or drop it")
    if c.explorers == 0 and (c.async_updates or c.inference != "local"):
        raise UsageError("--async-updates and --inference central need explorers; add --explorers K (K >= 1)")
    if c.ray_address and not (c.explorers or c.coded_scheme):
        raise UsageError("--ray-address needs --explorers K or --coded-scheme; add one of them")
    if c.explorers and (c.ensemble_size > 1 or c.coded_scheme):
        flag = "--ensemble-size" if c.ensemble_size > 1 else "--coded-scheme"
        raise UsageError(f"--explorers cannot be combined with {flag} yet; drop one of the two")
    _validate_coded(c)
    _validate_family(c)
    if c.agent_updates not in ("sequential", "simultaneous"):
        raise UsageError(f"--agent-updates must be sequential or simultaneous, got {c.agent_updates!r}")
    if c.agent_updates == "simultaneous" and (c.ensemble_size > 1 or c.infer_policies):
        flag = "--ensemble-size" if c.ensemble_size > 1 else "--infer-policies"
        raise UsageError(f"--agent-updates simultaneous cannot be combined with {flag} yet (the batched step "
                         f"updates the plain per-agent networks); use --agent-updates sequential with it")
    _validate_tracking(c)
    _validate_sharing(c)
    _validate_real_q_log(c)
    if sum([c.display, c.benchmark]) > 1:
        raise UsageError("--display and --benchmark cannot be combined; pick one")
    if c.display_file and not c.display_file.lower().endswith((".gif", ".mp4")):
        raise UsageError(f"--display-file must end in .gif or .mp4, got {c.display_file}")
    if not (c.display or c.benchmark):
        _validate_replay(c)


def _validate_sharing(c: Config) -> None:
    """--parameter-sharing team with what cannot share networks yet: one line naming the flag."""
    if c.parameter_sharing not in ("none", "team"):
        raise UsageError(f"--parameter-sharing must be none or team, got {c.parameter_sharing!r}")
    if c.parameter_sharing == "none":
        return
    others = [("--agent-updates simultaneous", c.agent_updates == "simultaneous"),
              ("--ensemble-size", c.ensemble_size > 1), ("--infer-policies", c.infer_policies),
              ("--coded-scheme", bool(c.coded_scheme)), ("--explorers", bool(c.explorers)),
              ("--adversaries-from", bool(c.adversaries_from)), ("--log-grad-variance", c.log_grad_variance)]
    family = sorted({p for p in (c.good_policy, c.adv_policy if c.num_adversaries else c.good_policy)
                     if p in ("matd3", "mmmaddpg")})
    others.append((f"--good-policy/--adv-policy {'/'.join(family)}", bool(family)))
    for flag, given in others:
        if given:
            raise UsageError(f"--parameter-sharing team cannot be combined with {flag} yet (the pooled team "
                             f"update replaces the per-agent rounds); drop one of the two")


def _validate_real_q_log(c: Config) -> None:
    """--real-q-log restores sampled worlds of this process and rolls the policies out from them."""
    if not c.real_q_log:
        return
    from maddpg_tf2.envs.make import is_external

    for flag, on in (("--explorers", bool(c.explorers)), ("--ensemble-size", c.ensemble_size > 1)):
        if on:
            why = ("the worlds live in the explorers' processes" if flag == "--explorers"
                   else "which sub-policy would act in the rollouts is not defined")
            raise UsageError(f"--real-q-log cannot be combined with {flag} yet ({why}); drop one of the two")
    if is_external(c.scenario):
        raise UsageError(f"--real-q-log restores sampled world states, which {c.scenario} cannot (the particle "
                         f"scenarios and object-style scenario files can); drop --real-q-log")


def _validate_replay(c: Config) -> None:
    """A training run whose replay could never start learning, or whose worlds could not each keep
    one episode, fails at the start instead of running for nothing."""
    if c.learning_starts is None and c.buffer_size < c.min_replay_size:
        raise UsageError(
            f"--buffer-size {c.buffer_size} is smaller than the {c.min_replay_size} transitions stored before "
            f"learning starts (--batch-size x --max-episode-len), so no update would ever run; pass "
            f"--buffer-size {c.min_replay_size} or more, or a smaller --batch-size")
    worlds = c.num_envs * max(1, c.explorers)  # explorers: K x E worlds share the replay
    if worlds * c.max_episode_len > c.buffer_size:
        many = f"--num-envs {c.num_envs}" + (f" x --explorers {c.explorers}" if c.explorers else "")
        raise UsageError(
            f"{many} is too large: each world's share of the replay (--buffer-size / worlds = "
            f"{c.buffer_size // worlds} transitions) must hold one episode of --max-episode-len "
            f"{c.max_episode_len} steps, and {worlds} worlds step {worlds * c.max_episode_len} transitions "
            f"before the first episode ends; pass --num-envs {max(1, c.buffer_size // (c.max_episode_len * max(1, c.explorers)))} "
            f"or fewer, or a larger --buffer-size")
    if worlds > c.num_episodes and c.num_envs > Config.num_envs:
        # Every world's first episode ends at the same step: the worlds beyond --num-episodes would be
        # stepped (at great cost) only to have their episodes dropped.
        many = f"--num-envs {c.num_envs}" + (f" x --explorers {c.explorers}" if c.explorers else "")
        raise UsageError(
            f"{many} steps {worlds} worlds for only --num-episodes {c.num_episodes}: all worlds' first episodes "
            f"end together, so {worlds - c.num_episodes} would be stepped for nothing; pass --num-envs "
            f"{max(1, c.num_episodes // max(1, c.explorers))} or fewer, or more --num-episodes")

def _validate_family(c: Config) -> None:
    """matd3 / mmmaddpg agents: the combinations their rules do not cover yet, each in one line."""
    used = sorted({p for p in (c.good_policy, c.adv_policy if c.num_adversaries else c.good_policy)
                   if p in ("matd3", "mmmaddpg")})
    if not used:
        return
    which = "/".join(used)
    for flag, on in (("--agent-updates simultaneous", c.agent_updates == "simultaneous"),
                     ("--coded-scheme", bool(c.coded_scheme)), ("--ensemble-size", c.ensemble_size > 1),
                     ("--infer-policies", c.infer_policies)):
        if on:
            raise UsageError(f"--good-policy/--adv-policy {which} cannot be combined with {flag} yet (that mode "
                             f"updates the plain MADDPG networks); use maddpg/ddpg with it, or drop it")
    if c.use_critic_noise and c.use_critic_noise_self:
        raise UsageError("--use-critic-noise (every agent's next action) and --use-critic-noise-self (the "
                         "agent's own) exclude each other; pass one")


def _validate_tracking(c: Config) -> None:
    if not c.track:
        if c.track_project is not None or c.track_checkpoints:
            flag = "--track-project" if c.track_project is not None else "--track-checkpoints"
            raise UsageError(f"{flag} needs --track mlflow or --track wandb; add one, or drop {flag}")
        return
    from maddpg_tf2.tracking import check_installed
    check_installed(c.track)  # one line naming the extra, before anything starts


def _validate_coded(c: Config) -> None:
    if not c.coded_scheme:
        used = [f for f, on in (("--learners", c.learners is not None), ("--stragglers", c.stragglers),
                                ("--straggler-delay", c.straggler_delay), ("--straggler-failure", c.straggler_failure))
                if on]
        if used:
            raise UsageError(f"{used[0]} needs --coded-scheme; pass --coded-scheme none|mds|random_sparse|replication|ldpc")
        return
    if c.learners is not None and c.stragglers >= c.learners:
        raise UsageError(f"--stragglers {c.stragglers} must be smaller than --learners {c.learners}; "
                         f"pass at most {c.learners - 1}")
    if (c.straggler_delay or c.straggler_failure) and not c.stragglers:
        raise UsageError("--straggler-delay/--straggler-failure need --stragglers S (S >= 1) to pick stragglers")
    if c.display or c.benchmark:
        raise UsageError("--coded-scheme trains; it cannot be combined with --display or --benchmark")
    if c.ensemble_size > 1 or c.infer_policies:
        flag = "--ensemble-size" if c.ensemble_size > 1 else "--infer-policies"
        raise UsageError(f"--coded-scheme cannot be combined with {flag} yet: coded learners update the "
                         f"plain per-agent networks; drop one of the two")


def _user_error_types() -> tuple:
    """The user-error types: every one is a maddpg_tf2.errors.UserError (errors.py, which imports
    nothing, so a run that failed before loading TensorFlow stays cheap)."""
    from maddpg_tf2.errors import user_errors
    return user_errors()


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args  # known before parsing, so a bad flag or YAML value can show its traceback too
    try:
        config = parse_config(args)
        from maddpg_tf2 import loop
        return loop.run(config)
    except KeyboardInterrupt:
        # Ctrl-C outside the training loop's own handling (start-up, display, benchmark).
        _error_line("interrupted; nothing more was saved", label="stopped")
        return 130
    except Exception as e:
        if _caused_by_ctrl_c(e):  # Python wrapped a Ctrl-C (e.g. raised inside __set_name__): still a stop
            _error_line("interrupted; nothing more was saved", label="stopped")
            return 130
        if isinstance(e, _user_error_types()):
            if debug:
                import traceback
                traceback.print_exc()
            _error_line(str(e))
        elif isinstance(e, OSError):
            # A folder or file the run needs went missing or unwritable mid-run (disk full, permissions).
            where = f" {e.filename}" if getattr(e, "filename", None) else ""
            _error_line(f"cannot access{where}: {e.strerror or e}; check the path exists and is writable")
        else:
            raise
        return 2


def _caused_by_ctrl_c(error: BaseException) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _error_line(message: str, label: str = "error") -> None:
    """One line on stderr, whatever the message's layout, so scripts can grep it."""
    parts = [part.strip() for part in message.strip().splitlines() if part.strip()]
    text = " ".join(p if p.endswith((".", ";", ":")) else p + ";" for p in parts[:-1]) + (" " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    print(f"maddpg-train: {label}: {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
