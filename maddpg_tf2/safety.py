"""Guards that keep a user's work safe: a checkpoint of another configuration is not overwritten by
accident, a diverging run stops before it saves non-finite weights, and a run that cannot fit in
memory fails at the start with the reason."""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence

import numpy as np

from maddpg_tf2.errors import NonFiniteError, UserError  # noqa: F401  (NonFiniteError re-exported)
from maddpg_tf2.notes import notice  # noqa: F401  (re-exported: the drivers report through it)


# ----------------------------------------------------------------------------- overwrite protection

def check_overwrite(save_dir: str, current: dict, overwrite: bool, resuming_here: bool) -> Optional[str]:
    """Refuse to let a training run replace a checkpoint of another configuration in `save_dir`
    (scenario, observation/action sizes, --num-units, maddpg/ddpg per agent) unless --overwrite.

    current: checkpoint.model_meta of this run. resuming_here: --restore from this same folder (the
    restore itself checks the fit). Returns what an earlier run left there: None (nothing, or this
    run continues it), "same" (a checkpoint of this configuration) or "other" (another or an
    unreadable configuration, which --overwrite lets this run replace).
    """
    from maddpg_tf2 import checkpoint

    if resuming_here:
        return None
    try:
        saved = checkpoint.read_meta(save_dir)
    except checkpoint.CheckpointError as e:
        if overwrite:
            return "other"
        raise UserError(f"--save-dir {save_dir} holds a checkpoint whose configuration cannot be read ({e}); "
                        f"pass --overwrite to replace it, or another --save-dir") from None
    if saved is None:
        return None
    keys = [k for k in ("scenario", "obs_dims", "act_dims", "num_units", "critics") if saved.get(k) != current.get(k)]
    if "rules" in saved and saved["rules"] != current.get("rules", saved["rules"]):
        keys.append("rules")  # e.g. a matd3 run over a maddpg checkpoint (older checkpoints do not say)
    if not keys:
        return "same"
    if overwrite:
        return "other"
    raise UserError(
        f"--save-dir {os.path.abspath(save_dir)} holds a trained checkpoint of another configuration "
        f"({keys[0]} differs: scenario {saved.get('scenario')!r}, num_units {saved.get('num_units')}, critics "
        f"{saved.get('critics')}, rules {saved.get('rules')}) that this run would replace; pass another --save-dir to keep it, "
        f"or --overwrite to replace it")


def check_episodes_left(config) -> None:
    """--restore of a checkpoint that has done --num-episodes already would train nothing: one line."""
    from maddpg_tf2 import checkpoint  # late: it imports TensorFlow

    load_dir = config.load_dir or config.save_dir
    done = checkpoint.completed_episodes(load_dir)
    if done is not None and done >= config.num_episodes:
        raise UserError(f"--restore: the checkpoint in {os.path.abspath(load_dir)} has completed {done} episodes "
                        f"already and --num-episodes is {config.num_episodes}, so there is nothing to train; "
                        f"pass a larger --num-episodes (the total, e.g. {done + config.num_episodes}) to train on")


# ----------------------------------------------------------------------------- non-finite values

DIVERGED = "lower --lr (or --actor-lr, --critic-lr), or check the scenario's rewards and observations"
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_metrics(metrics: Dict[str, object], update_round: int) -> None:
    """Raise at the first NaN/inf among the scalars a train step returned (numpy-side, no TF op)."""
    values = np.array([float(v) for v in metrics.values()])
    if not np.isfinite(values).all():
        k = int(np.flatnonzero(~np.isfinite(values))[0])
        raise NonFiniteError(f"training diverged: {list(metrics)[k]} became {values[k]} at update round "
                             f"{update_round} ({DIVERGED})")


def check_weights(weights_n: Sequence[Sequence[np.ndarray]], what: str, update_round: int) -> None:
    """Raise when any array of a list over agents of weight lists holds a NaN/inf."""
    for i, weights in enumerate(weights_n):
        for w in weights:
            if not np.isfinite(np.asarray(w)).all():
                raise NonFiniteError(f"training diverged: the weights of {what} {i} became non-finite at update "
                                     f"round {update_round} ({DIVERGED})")


def check_rewards(rew: np.ndarray, train_step: int) -> None:
    """Rewards [E, N] must be finite in float32, which the replay stores (one reduction per step)."""
    _raise_not_storable(_bad_rewards(rew), train_step)


def check_observations(obs_n: Sequence[np.ndarray], train_step: int) -> None:
    """Each agent's observations [E, d_i], stored in float32 as the rewards."""
    _raise_not_storable(_bad_observations(obs_n), train_step)


def check_step(obs_n: Sequence[np.ndarray], next_obs_n: Sequence[np.ndarray], rew: np.ndarray, train_step: int) -> None:
    """What one step hands the replay: rewards and both observations (a reset's too). Every value
    that cannot be stored is named in the one error (a NaN observation often makes the reward NaN)."""
    if np.abs(rew).max(initial=0.0) <= FLOAT32_MAX and all(
            np.asarray(o).size == 0 or np.abs(o).max() <= FLOAT32_MAX for o in (*obs_n, *next_obs_n)):
        return  # the usual case: two reductions per array, nothing else
    bad = _bad_rewards(rew)
    for item in _bad_observations(obs_n) + _bad_observations(next_obs_n):
        if item[0] not in [b[0] for b in bad]:
            bad.append(item)
    _raise_not_storable(bad, train_step)


def _bad_rewards(rew: np.ndarray) -> list:
    """(what, value, world) of each agent whose reward is not storable (its first world)."""
    rew = np.asarray(rew)
    if rew.size == 0 or np.abs(rew).max() <= FLOAT32_MAX:  # also false for NaN
        return []
    bad = ~(np.abs(rew) <= FLOAT32_MAX)
    return [(f"reward of agent {agent}", rew[np.flatnonzero(bad[:, agent])[0], agent],
             int(np.flatnonzero(bad[:, agent])[0])) for agent in np.flatnonzero(bad.any(axis=0))]


def _bad_observations(obs_n: Sequence[np.ndarray]) -> list:
    """(what, value, world) of each agent whose observation is not storable: its first world, and
    the entries not storable there."""
    found = []
    for i, obs in enumerate(obs_n):
        obs = np.asarray(obs)
        if obs.size == 0 or np.abs(obs).max() <= FLOAT32_MAX:
            continue
        bad = ~(np.abs(obs) <= FLOAT32_MAX)
        world = int(np.argwhere(bad)[0][0])
        entries = np.flatnonzero(bad[world].reshape(-1))
        shown = ", ".join(str(e) for e in entries[:5]) + (", ..." if len(entries) > 5 else "")
        label = f"entr{'y' if len(entries) == 1 else 'ies'} {shown}"
        found.append((f"observation of agent {i} ({label})", obs[world].reshape(-1)[entries[0]], world))
    return found


def _raise_not_storable(bad: list, train_step: int) -> None:
    if not bad:
        return
    worlds = {world for _, _, world in bad}
    one_world = len(worlds) == 1
    named = [f"{what} became {value}" + ("" if one_world or not world else f" in world {world}")
             for what, value, world in bad]
    where = f" in world {bad[0][2]}" if one_world and bad[0][2] else ""
    parts = sorted({what.split(" of ")[0] for what, _, _ in bad}, key=["reward", "observation"].index)
    raise NonFiniteError(f"the scenario's {_and(named)} at step {train_step}{where}, which the replay "
                         f"cannot store (float32: finite, at most {FLOAT32_MAX:.3g} in size); fix the "
                         f"scenario's {' and '.join(parts)}")


def _and(items: list) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_learner(learner, update_round: int) -> None:
    """Every variable of every agent (online and target networks, optimizer state) before a save."""
    for i, agent in enumerate(learner.agents):
        for v in agent.variables:  # tf.Module: every variable it tracks
            if v.dtype.is_floating and not np.isfinite(v.numpy()).all():
                raise NonFiniteError(f"training diverged: variable {v.name} of agent {i} became non-finite by "
                                     f"update round {update_round} ({DIVERGED})")


# ----------------------------------------------------------------------------- memory

def available_memory() -> Optional[int]:
    """Bytes this process can still take: the kernel's MemAvailable, lowered by a cgroup (container)
    limit; None where neither can be read (the check is then skipped)."""
    found = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = int(f.read().strip())
        if limit != "max" and int(limit) < 2**60:
            found.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    if not found:
        try:
            import psutil
            found.append(int(psutil.virtual_memory().available))
        except Exception:  # psutil missing or unsupported here: no check rather than a wrong one
            return None
    return min(found)


def mlp_params(in_dim: int, units: int, out_dim: int) -> int:
    """Weights and biases of networks.MLP (two hidden layers)."""
    return in_dim * units + units + units * units + units + units * out_dim + out_dim


def estimate_memory(config, obs_dims: Sequence[int], act_dims: Sequence[int], param_dims: Sequence[int],
                    replay_bytes: int) -> Dict[str, int]:
    """Bytes a training run takes, by part, before anything is built.

    networks: per agent an actor (obs -> param_dims) and a critic (all observations and actions, or
    its own for ddpg; two for matd3), each held 6 times in float32: online, target, Adam's two slots, the gradient
    and its clipped copy; K sub-policies of an ensemble and N-1 inferred policies add actors. init: numpy draws
    the largest kernel in float64 once. activations: one update's two hidden layers of B x units,
    kept for the backward pass, in the n + 4 forward passes of an agent's update (critic, target
    critic, the n target actors, the actor and the critic again), all agents at once when simultaneous.
    With --parameter-sharing team a team's networks count once (its critic reads the M-column index
    too) and its update holds the activations of all M members' rows at once. N enters through the
    observation sizes: a centralised critic's input is the sum of all N agents' observations and
    actions, so networks grow as N^2 (simple_spread's observations grow with N too: N^3).
    batches: the sampled arrays and their tensors. TensorFlow's own memory is not counted: it is
    loaded before the check, which compares with the memory available then. Measured at --num-units
    2048 on simple_spread (8 worlds, 1,250 transitions stored): peak RSS 1.58 GiB, TensorFlow included,
    against 0.85 GiB estimated without the replay.
    """
    u, n, B = config.num_units, len(obs_dims), config.batch_size
    d_obs, d_act = sum(obs_dims), sum(act_dims)
    policies = config.agent_policies(n)
    teams = {}  # the networks' owners: every agent, or with sharing one per (rule, sizes) team
    for i, key in enumerate(zip(policies, obs_dims, act_dims, param_dims)):
        teams.setdefault(key if getattr(config, "parameter_sharing", "none") == "team" else i, []).append(i)
    params = 0
    for members in teams.values():
        i, m = members[0], len(members)
        o, a, p = obs_dims[i], act_dims[i], param_dims[i]
        critic_in = o + a if policies[i] == "ddpg" else d_obs + d_act + (m if m > 1 else 0)
        actors = config.ensemble_size + ((n - 1) if config.infer_policies else 0)
        critics = 2 if policies[i] == "matd3" else 1  # MATD3's twin critic
        params += actors * mlp_params(o, u, p) + critics * mlp_params(critic_in, u, 1)
    networks = 6 * 4 * params
    init = 8 * max(u * u, (d_obs + d_act) * u)
    agents_at_once = n if config.agent_updates == "simultaneous" else max(len(t) for t in teams.values())
    activations = agents_at_once * (n + 4) * 2 * B * u * 4 * 2  # forward values and their gradients
    batches = n * B * (2 * d_obs + d_act + 2 * n) * 4 * 3
    if config.gradient_estimator == "grmck":  # rao_k conditional Gumbel draws per action
        batches += n * config.rao_k * B * max(act_dims) * 4 * 3
    return {"networks": networks, "init": init, "activations": activations, "batches": batches,
            "replay": int(replay_bytes)}


# Which flag makes each part smaller.
_LOWER = {"networks": "--num-units", "init": "--num-units", "activations": "--batch-size (or --num-units)",
          "batches": "--batch-size", "replay": "--buffer-size"}


def check_memory(config, obs_dims: Sequence[int], act_dims: Sequence[int], param_dims: Sequence[int],
                 replay_bytes: int, available: Optional[int] = None) -> Dict[str, int]:
    """Refuse, in one line, a run whose estimate exceeds the memory available now (before anything
    is built: the kernel would otherwise kill it silently). Returns the estimate."""
    parts = estimate_memory(config, obs_dims, act_dims, param_dims, replay_bytes)
    available = available_memory() if available is None else available
    need = sum(parts.values())
    if available is not None and need > available:
        biggest = max(parts, key=parts.get)
        gib = lambda b: f"{b / 2**30:.1f} GiB"  # noqa: E731
        raise UserError(
            f"this run needs about {gib(need)} of memory (networks with Adam {gib(parts['networks'])} from "
            f"--num-units {config.num_units}, activations {gib(parts['activations'])} from --batch-size "
            f"{config.batch_size}, replay {gib(parts['replay'])} from --buffer-size {config.buffer_size}) but "
            f"{gib(available)} is available; lower {_LOWER[biggest]}")
    return parts
