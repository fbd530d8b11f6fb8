"""The precomputed physics (pairs as +-1 matrices, movers only) against the all-pairs formula
written out directly, on crowded random worlds, with asymmetric pair masks, masses, speed limits."""
import numpy as np
import pytest

from maddpg_tf2.envs import physics


def all_pairs_contacts(p_pos, size, pairs, cf=physics.CONTACT_FORCE, k=physics.CONTACT_MARGIN):
    delta = p_pos[:, :, None, :] - p_pos[:, None, :, :]  # [E, n, n, 2]
    dist = np.sqrt(np.sum(np.square(delta), axis=-1))
    pen = np.logaddexp(0.0, -(dist - (size[:, None] + size[None, :])) / k) * k
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(pairs, cf * pen / dist, 0.0)
    return np.sum(scale[..., None] * delta, axis=2)


def direct_integrate(p_pos, p_vel, force, prm, dt=physics.DT, damping=physics.DAMPING):
    vel = p_vel * (1.0 - damping) + force / prm.mass[None, :, None] * dt
    speed = np.sqrt(np.sum(np.square(vel), axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        clamp = np.where(speed > prm.max_speed, prm.max_speed / speed, 1.0)
    vel = vel * clamp[..., None]
    movable = prm.movable[None, :, None]
    new_vel = np.where(movable, vel, p_vel)
    return np.where(movable, p_pos + new_vel * dt, p_pos), new_vel


@pytest.mark.parametrize("seed", range(6))
def test_physics_matches_all_pairs_formula(seed):
    rng = np.random.default_rng(seed)
    n, E = int(rng.integers(2, 12)), int(rng.integers(1, 30))
    pos = rng.uniform(-0.3, 0.3, (E, n, 2))  # crowded: many contacts
    vel, act = rng.normal(size=(E, n, 2)), rng.normal(size=(E, n, 2)) * 5
    prm = physics.EntityParams(
        size=rng.uniform(0.02, 0.3, n), mass=rng.choice([1.0, 2.5], n), movable=rng.random(n) < 0.7,
        collide=rng.random(n) < 0.8, max_speed=np.where(rng.random(n) < 0.5, np.inf, rng.uniform(0.1, 2, n)))
    pairs = rng.random((n, n)) < 0.6 if seed % 2 else prm.collide_pairs  # odd seeds: asymmetric
    np.fill_diagonal(pairs, False)
    want_f = all_pairs_contacts(pos, prm.size, pairs)
    np.testing.assert_allclose(physics.contact_forces(pos, prm.size, pairs), want_f, rtol=0, atol=1e-12)
    want = direct_integrate(pos, vel, act + want_f, prm)
    got = physics.Physics(prm, pairs).step(pos, vel, act)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got[0][:, ~prm.movable], pos[:, ~prm.movable])
