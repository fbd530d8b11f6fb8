"""The particle world's physics as pure functions over batched arrays.

One physics for the project: the vectorised engine calls it with E worlds, and the object-style
`multiagent.core.World.step` calls it with a single world. Semantics are the original MPE's
(core.py): soft contact forces between colliding pairs, damping, force integration, speed clamp.
Everything is float64, as the original.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# World constants of the original `multiagent.core.World`.
DT = 0.1
DAMPING = 0.25
CONTACT_FORCE = 1e2
CONTACT_MARGIN = 1e-3
SENSITIVITY = 5.0  # default action-to-force factor when an agent has no `accel`


@dataclass(frozen=True)
class EntityParams:
    """Per-entity constants, arrays of length n (entities = agents then landmarks)."""

    size: np.ndarray  # [n]
    mass: np.ndarray  # [n]
    movable: np.ndarray  # [n] bool
    collide: np.ndarray  # [n] bool
    max_speed: np.ndarray  # [n], np.inf where the entity has none

    @property
    def collide_pairs(self) -> np.ndarray:
        """[n, n] bool: pairs that exert contact forces on each other (never an entity on itself)."""
        pairs = self.collide[:, None] & self.collide[None, :]
        np.fill_diagonal(pairs, False)
        return pairs


def contact_forces(p_pos, size, collide_pairs, contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN):
    """Sum of soft contact forces on every entity.

    p_pos [E, n, 2]; size [n]; collide_pairs [n, n] bool. Returns [E, n, 2]: for each entity i,
    sum over colliding j of contact_force * (p_i - p_j) / d_ij * margin * softplus(-(d_ij - s_ij) / margin).
    """
    delta = p_pos[:, :, None, :] - p_pos[:, None, :, :]  # [E, n, n, 2]
    dist = np.sqrt(np.sum(np.square(delta), axis=-1))  # [E, n, n]
    dist_min = size[:, None] + size[None, :]
    penetration = np.logaddexp(0.0, -(dist - dist_min) / contact_margin) * contact_margin
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(collide_pairs, contact_force * penetration / dist, 0.0)  # [E, n, n]
    return np.sum(scale[..., None] * delta, axis=2)


def integrate(p_pos, p_vel, force, params: EntityParams, dt=DT, damping=DAMPING):
    """Damping, force integration, speed clamp and position update for movable entities.

    p_pos, p_vel, force [E, n, 2]. Returns the new (p_pos, p_vel); immovable entities keep theirs.
    """
    movable = params.movable[None, :, None]
    vel = p_vel * (1.0 - damping) + (force / params.mass[None, :, None]) * dt
    speed = np.sqrt(np.square(vel[..., 0]) + np.square(vel[..., 1]))  # [E, n]
    max_speed = params.max_speed[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        clamp = np.where(speed > max_speed, max_speed / speed, 1.0)
    vel = vel * clamp[..., None]
    new_vel = np.where(movable, vel, p_vel)
    new_pos = np.where(movable, p_pos + new_vel * dt, p_pos)
    return new_pos, new_vel


def step(p_pos, p_vel, action_force, params: EntityParams, collide_pairs=None, dt=DT, damping=DAMPING,
         contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN):
    """One world step for E worlds: contact forces plus the agents' action forces, then integration.

    action_force [E, n, 2] is u (already scaled by sensitivity / accel, noise included) for movable
    agents and zero elsewhere. The constants are keywords because an object-style `World` may have
    its own (users can set world.dt, world.damping, ...).
    """
    if collide_pairs is None:
        collide_pairs = params.collide_pairs
    force = action_force + contact_forces(p_pos, params.size, collide_pairs, contact_force, contact_margin)
    return integrate(p_pos, p_vel, force, params, dt, damping)
