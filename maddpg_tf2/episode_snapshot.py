"""Episodes in progress, written into a checkpoint so that a resumed run continues them.

A run stopped between two save points (Ctrl-C, SIGTERM) has worlds in the middle of an episode. A
checkpoint that holds only the networks, the replay and the generators would restart those worlds,
and a seeded run resumed from it would part from the uninterrupted one. With a snapshot of the
worlds (positions, velocities, messages, the scenario's episode variables), the observations the
policy acts on next, the step counters, the ensemble draws and the partial episode returns, the
resumed run takes exactly the steps the uninterrupted one takes.

Arrays travel as JSON (inside the checkpoint's extra.json): float64 values are written with repr,
which reads back bit for bit.
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def pack(a) -> dict:
    a = np.asarray(a)
    return {"dtype": a.dtype.str, "shape": list(a.shape), "data": a.ravel().tolist()}


def unpack(d: dict) -> np.ndarray:
    return np.asarray(d["data"], dtype=np.dtype(d["dtype"])).reshape(d["shape"])


def unpack_like(d: dict, like: np.ndarray) -> np.ndarray:
    """unpack, refusing an array of another shape than `like` (a checkpoint of another layout)."""
    a = unpack(d)
    if a.shape != np.shape(like):
        raise ValueError(f"saved shape {a.shape}, this run's {np.shape(like)}")
    return a.astype(np.asarray(like).dtype, copy=False)


def snapshot(collector, ep_reward: np.ndarray, ep_agent_reward: np.ndarray) -> Optional[dict]:
    """The episodes in progress, or None when the collector or its environment cannot say (then a
    resume starts fresh episodes, as before this module)."""
    take = getattr(collector, "snapshot", None)
    try:
        state = take() if take is not None else None
    except Exception:  # noqa: BLE001  a world the walk cannot read must never cost the checkpoint
        state = None
    if state is None:
        return None
    return {"collector": state, "ep_reward": pack(ep_reward), "ep_agent_reward": pack(ep_agent_reward)}


def resume(collector, saved: Optional[dict], ep_reward: np.ndarray, ep_agent_reward: np.ndarray) -> bool:
    """Continue the saved episodes (filling the return accumulators in place); False, with nothing
    changed that a fresh start would not overwrite, when they do not fit this run."""
    if not saved or not hasattr(collector, "resume"):
        return False
    try:
        rewards = unpack_like(saved["ep_reward"], ep_reward)
        agent_rewards = unpack_like(saved["ep_agent_reward"], ep_agent_reward)
        if not collector.resume(saved["collector"]):
            return False
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return False
    ep_reward[:] = rewards
    ep_agent_reward[:] = agent_rewards
    return True


def mid_episode(saved: Optional[dict]) -> bool:
    """Whether the saved worlds were inside an episode (not all at its first step), i.e. whether
    starting afresh loses something."""
    try:
        return bool(saved) and any(int(x) > 0 for x in saved["collector"]["episode_step"]["data"])
    except (KeyError, TypeError, ValueError):
        return False
