"""The particle world's physics as pure functions over batched arrays.

One physics for the project: the vectorised engine calls it with E worlds, and the object-style
`multiagent.core.World.step` calls it with a single world. Semantics are the original MPE's
(core.py): soft contact forces between colliding pairs, damping, force integration, speed clamp.
Everything is float64, as the original.

Speed: a step of 64-256 small worlds is dominated by numpy's per-call cost, so `Physics`
precomputes, once per set of entity constants, everything that does not depend on the state:
the colliding pairs (each unordered pair once) as a +-1 matrix whose product with the positions
gives every pair's difference, the transposed matrix that sums the pair forces back onto the
entities, and which entities move. Products with +-1 and 0 are exact, so the numbers are those of
the all-pairs formula (to an ulp: softplus is computed with numpy's vector exp and log1p).
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

_LOG1P_IDENTITY = 2.0 ** -53  # log1p(x) rounds to x below this


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


def _run(ids: np.ndarray):
    """A slice when the sorted indices are consecutive (basic indexing gives views), else the array."""
    if len(ids) and ids[-1] - ids[0] + 1 == len(ids):
        return slice(int(ids[0]), int(ids[-1]) + 1)
    return ids


class Contacts:
    """Soft contact forces for a fixed set of colliding pairs (collide_pairs [n, n] bool, may be
    asymmetric: pairs[i, j] means j pushes i) and entity sizes [n]."""

    def __init__(self, size, collide_pairs, contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN):
        pairs = np.asarray(collide_pairs, dtype=bool)
        n = pairs.shape[0]
        either = pairs | pairs.T
        np.fill_diagonal(either, False)
        # each unordered pair once, i < j, sorted by (i, j): every entity then meets its partners in
        # increasing order, the order in which the all-pairs formula sums them
        I, J = np.nonzero(np.triu(either))
        self.num_pairs = P = len(I)
        self.n = n
        self.contact_force, self.contact_margin = float(contact_force), float(contact_margin)
        if not P:
            return
        lo, hi = int(min(I.min(), J.min())), int(max(I.max(), J.max())) + 1
        self.span = slice(2 * lo, 2 * hi)  # columns of the flattened [E, 2n] positions involved
        m = hi - lo
        # diff [2m, 2P]: flat positions @ diff = p_i - p_j per pair, the x of all pairs then the y
        diff = np.zeros((2 * m, 2 * P))
        # gather [2P, 2m]: pair forces @ gather = force on each entity (+ on i, - on j), x, y per entity
        gather = np.zeros((2 * P, 2 * m))
        cols, a, b = np.arange(P), 2 * (I - lo), 2 * (J - lo)
        on_i, on_j = pairs[I, J], pairs[J, I]  # does the pair push i, j?
        for c in (0, 1):
            diff[a + c, c * P + cols] = 1.0
            diff[b + c, c * P + cols] = -1.0
            gather[c * P + cols, a + c] = np.where(on_i, 1.0, 0.0)
            gather[c * P + cols, b + c] = np.where(on_j, -1.0, 0.0)
        self.diff, self.gather = diff, gather
        size = np.asarray(size, dtype=np.float64)
        self.dist_min = size[I] + size[J]  # [P]

    def flat(self, pos2: np.ndarray) -> np.ndarray:
        """pos2 [E, 2n] flattened positions -> [E, 2m] forces on the entities of `span`."""
        E, P, k = pos2.shape[0], self.num_pairs, self.contact_margin
        delta = pos2[:, self.span] @ self.diff  # [E, 2P]: p_i - p_j, x of every pair then y
        sq = delta * delta
        dist = np.sqrt(sq[:, :P] + sq[:, P:])  # [E, P]
        # softplus(-(dist - dist_min) / k) = max(v, 0) + log1p(exp(-|v|)), v = (dist_min - dist) / k
        # ((dist_min - dist) is exactly -(dist - dist_min)). Not np.logaddexp: it runs libm one
        # element at a time, and far-apart pairs (v down to -1e4) hit the slow underflow and
        # subnormal paths of exp and log1p. Instead exp(-|v|) is floored at exp(-690) (a penetration
        # of 2e-303 instead of less: invisible) and log1p skipped where it returns its argument.
        v = (self.dist_min - dist) / k
        t = np.abs(v)
        np.negative(t, out=t)
        np.maximum(t, -690.0, out=t)
        np.exp(t, out=t)
        np.log1p(t, out=t, where=t > _LOG1P_IDENTITY)
        penetration = np.maximum(v, 0.0, out=v)
        penetration += t
        penetration *= k
        scale = self.contact_force * penetration / dist
        force = delta.reshape(E, 2, P) * scale[:, None, :]
        return force.reshape(E, 2 * P) @ self.gather

    def __call__(self, p_pos: np.ndarray) -> np.ndarray:
        """p_pos [E, n, 2] -> [E, n, 2] sum of contact forces on every entity."""
        E = p_pos.shape[0]
        out = np.zeros((E, 2 * self.n))
        if self.num_pairs:
            out[:, self.span] = self.flat(p_pos.reshape(E, -1))
        return out.reshape(E, self.n, 2)


class Physics:
    """One world step for E worlds of fixed entity constants; create once, step many times."""

    def __init__(self, params: EntityParams, collide_pairs=None, dt=DT, damping=DAMPING,
                 contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN):
        self.params = params
        self.n = len(params.size)
        self.dt, self.keep = float(dt), 1.0 - damping
        pairs = params.collide_pairs if collide_pairs is None else collide_pairs
        self.contacts = Contacts(params.size, pairs, contact_force, contact_margin)
        movers = np.flatnonzero(params.movable)
        self.num_movers = len(movers)
        self.all_move = self.num_movers == self.n
        self.movers = _run(movers)
        mass = np.asarray(params.mass, dtype=np.float64)[movers]
        # dividing by a mass of 1 changes nothing: skip it when every mover weighs 1
        self.mass = None if np.all(mass == 1.0) else mass[None, :, None]
        max_speed = np.asarray(params.max_speed, dtype=np.float64)[movers]
        limited = np.flatnonzero(np.isfinite(max_speed))  # among the movers
        self.limited = None if not len(limited) else _run(limited)
        self.all_limited = len(limited) == len(movers)
        self.max_speed = max_speed[limited][None, :]  # [1, limited]

    def add_contacts(self, p_pos, force):
        """Adds the contact forces to `force` [E, n, 2] (C-contiguous) in place."""
        if self.contacts.num_pairs:
            E = p_pos.shape[0]
            flat = force.view()
            flat.shape = (E, -1)  # raises rather than silently copying a non-contiguous array
            flat[:, self.contacts.span] += self.contacts.flat(p_pos.reshape(E, -1))
        return force

    def forces(self, p_pos, action_force):
        """Action plus contact forces [E, n, 2] (a new array)."""
        return self.add_contacts(p_pos, np.array(action_force, dtype=np.float64))

    def integrate(self, p_pos, p_vel, force):
        """Damping, force integration, speed clamp and position update for the movable entities;
        returns new (p_pos, p_vel), immovable entities keep theirs."""
        if not self.num_movers:
            return p_pos.copy(), p_vel.copy()
        mv = self.movers
        f = force[:, mv]
        if self.mass is not None:
            f = f / self.mass
        vel = p_vel[:, mv] * self.keep
        vel += f * self.dt  # [E, movers, 2]; in place on fresh arrays from here on (same values)
        if self.limited is not None:
            v = vel if self.all_limited else vel[:, self.limited]
            sq = v * v
            speed = np.sqrt(sq[..., 0] + sq[..., 1])
            # max_speed / speed only where the clamp applies (no 0/0 elsewhere); 1.0 leaves v as is
            clamp = np.divide(self.max_speed, speed, out=np.ones_like(speed), where=speed > self.max_speed)
            vel[:, self.limited] *= clamp[..., None]
        if self.all_move:
            return p_pos + vel * self.dt, vel
        new_pos, new_vel = p_pos.copy(), p_vel.copy()
        new_pos[:, mv] += vel * self.dt
        new_vel[:, mv] = vel
        return new_pos, new_vel

    def step(self, p_pos, p_vel, action_force):
        """action_force [E, n, 2] is u (already scaled by sensitivity / accel, noise included) for
        movable agents and zero elsewhere. Returns the new (p_pos, p_vel)."""
        return self.integrate(p_pos, p_vel, self.forces(p_pos, action_force))


# ----- the functional API: a `Physics` per distinct set of constants, kept in a small cache, so that
# callers that rebuild EntityParams every step (the object-style World) pay the precomputation once
_CACHE = {}
_CACHE_SIZE = 64


def physics_for(params: EntityParams, collide_pairs=None, dt=DT, damping=DAMPING,
                contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN) -> Physics:
    """The `Physics` of these constants, from the cache when seen before."""
    arrays = (params.size, params.mass, params.movable, params.collide, params.max_speed)
    key = tuple(np.asarray(a).tobytes() for a in arrays) + (
        None if collide_pairs is None else np.asarray(collide_pairs, dtype=bool).tobytes(),
        len(params.size), float(dt), float(damping), float(contact_force), float(contact_margin))
    phys = _CACHE.get(key)
    if phys is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        phys = _CACHE[key] = Physics(params, collide_pairs, dt, damping, contact_force, contact_margin)
    return phys


def contact_forces(p_pos, size, collide_pairs, contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN):
    """Sum of soft contact forces on every entity.

    p_pos [E, n, 2]; size [n]; collide_pairs [n, n] bool. Returns [E, n, 2]: for each entity i,
    sum over colliding j of contact_force * (p_i - p_j) / d_ij * margin * softplus(-(d_ij - s_ij) / margin).
    """
    return Contacts(size, collide_pairs, contact_force, contact_margin)(np.asarray(p_pos, dtype=np.float64))


def integrate(p_pos, p_vel, force, params: EntityParams, dt=DT, damping=DAMPING):
    """Damping, force integration, speed clamp and position update for movable entities.

    p_pos, p_vel, force [E, n, 2]. Returns the new (p_pos, p_vel); immovable entities keep theirs.
    """
    no_pairs = np.zeros((len(params.size),) * 2, dtype=bool)
    return physics_for(params, no_pairs, dt, damping).integrate(p_pos, p_vel, force)


def step(p_pos, p_vel, action_force, params: EntityParams, collide_pairs=None, dt=DT, damping=DAMPING,
         contact_force=CONTACT_FORCE, contact_margin=CONTACT_MARGIN):
    """One world step for E worlds: contact forces plus the agents' action forces, then integration.

    The constants are keywords because an object-style `World` may have its own (users can set
    world.dt, world.damping, ...).
    """
    return physics_for(params, collide_pairs, dt, damping, contact_force, contact_margin).step(
        p_pos, p_vel, action_force)
