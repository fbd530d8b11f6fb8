"""Helpers shared by the built-in scenarios.

Distances use sqrt(sum(square(delta))) exactly as the original scenarios do, so that collision
thresholds (`dist < dist_min`) fall on the same side for the same floats.
"""
import numpy as np


def sq_distance(pos_a, pos_b):
    delta = pos_a - pos_b
    return (delta * delta).sum()  # == np.sum(np.square(delta)), bit for bit, with less overhead


def distance(pos_a, pos_b):
    delta = pos_a - pos_b
    return np.sqrt((delta * delta).sum())


def is_collision(entity_a, entity_b):
    """True when the two circles overlap (an entity overlaps itself: the original counts that)."""
    return bool(distance(entity_a.state.p_pos, entity_b.state.p_pos) < entity_a.size + entity_b.size)


def place_uniformly(entities, world, bound=1.0):
    """Random positions U(-bound, bound)^dim_p in list order (one draw per entity), zero velocity,
    and zero utterance for agents: the original's reset order for np.random."""
    for entity in entities:
        entity.state.p_pos = np.random.uniform(-bound, +bound, world.dim_p)
        entity.state.p_vel = np.zeros(world.dim_p)
        if hasattr(entity.state, 'c'):
            entity.state.c = np.zeros(world.dim_c)


def choose(items):
    """One element of a list, drawing from np.random exactly as np.random.choice(items) does."""
    return items[np.random.choice(len(items))]
