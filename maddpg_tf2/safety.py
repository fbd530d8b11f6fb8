"""Guards that keep a user's work safe: a checkpoint of another configuration is not overwritten by
accident, a diverging run stops before it saves non-finite weights, and a run that cannot fit in
memory fails at the start with the reason."""
from __future__ import annotations

import os
import sys
from typing import Dict, Optional, Sequence

import numpy as np

from maddpg_tf2.errors import NonFiniteError, UserError  # noqa: F401  (NonFiniteError re-exported)


def notice(text: str) -> None:
    """A one-line note on stderr (stdout keeps the original's lines)."""
    print(f"maddpg-train: note: {text}", file=sys.stderr, flush=True)


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
    if not keys:
        return "same"
    if overwrite:
        return "other"
    raise UserError(
        f"--save-dir {os.path.abspath(save_dir)} holds a trained checkpoint of another configuration "
        f"({keys[0]} differs: scenario {saved.get('scenario')!r}, num_units {saved.get('num_units')}, critics "
        f"{saved.get('critics')}) that this run would replace; pass another --save-dir to keep it, "
        f"or --overwrite to replace it")


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
    if not np.abs(rew).max(initial=0.0) <= FLOAT32_MAX:  # also false for NaN
        bad = rew[~(np.abs(rew) <= FLOAT32_MAX)].ravel()[0]
        raise NonFiniteError(f"the scenario's reward became {bad} at step {train_step}, which the replay cannot "
                             f"store (float32: finite, at most {FLOAT32_MAX:.3g} in size); fix the scenario's reward")


def check_learner(learner, update_round: int) -> None:
    """Every variable of every agent (online and target networks, optimizer state) before a save."""
    for i, agent in enumerate(learner.agents):
        for v in agent.variables:  # tf.Module: every variable it tracks
            if v.dtype.is_floating and not np.isfinite(v.numpy()).all():
                raise NonFiniteError(f"training diverged: variable {v.name} of agent {i} became non-finite by "
                                     f"update round {update_round} ({DIVERGED})")


# ----------------------------------------------------------------------------- memory

def physical_memory() -> Optional[int]:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(config, obs_dims: Sequence[int], act_dims: Sequence[int], replay_bytes: int) -> None:
    """The replay, the networks (4 per agent plus Adam's two slots per online weight) and one round's
    batches must fit in this machine's memory; otherwise fail now with the numbers."""
    total = physical_memory()
    if total is None:
        return
    u, n = config.num_units, len(obs_dims)
    d_obs, d_act = sum(obs_dims), sum(act_dims)
    nets = 0
    for o, a in zip(obs_dims, act_dims):
        actor = o * u + u * u + u * a + 2 * u + a
        critic = (d_obs + d_act) * u + u * u + u + 2 * u + 1
        nets += 4 * (actor + critic) * 4  # online + target + two Adam slots, float32
    batches = n * config.batch_size * (2 * d_obs + d_act + 2 * n) * 4 * 3  # arrays, tensors, gradients
    if config.gradient_estimator == "grmck":  # rao_k conditional Gumbel draws per action
        batches += n * config.rao_k * config.batch_size * max(act_dims) * 4 * 3
    need = replay_bytes + nets + batches
    if need > 0.9 * total:
        raise UserError(
            f"this run needs about {need / 2**30:.1f} GiB (replay {replay_bytes / 2**30:.1f} GiB from --buffer-size "
            f"{config.buffer_size}, networks {nets / 2**30:.1f} GiB from --num-units {u}, batches "
            f"{batches / 2**30:.1f} GiB from --batch-size {config.batch_size} and --rao-k) but the machine has "
            f"{total / 2**30:.1f} GiB; pass smaller values")

