"""Snapshots of object-style worlds (`multiagent` World, entities and whatever a scenario file
hangs on them), for checkpoints taken mid-episode (maddpg_tf2/episode_snapshot.py).

Scenario files set arbitrary attributes in reset_world (goal landmarks, colours, counters), so the
snapshot walks the world and its entities generically: numbers, strings, arrays and containers of
them are recorded, an attribute that refers to an entity is recorded as that entity's index, and
other plain objects (an entity's state and action) are walked into. Restoring writes the values
back into the existing objects, so no class has to be rebuilt from the file. Functions, modules and
objects deeper than the walk goes are left as they are; so is state a scenario keeps on its own
Scenario object.
"""
from __future__ import annotations

import numbers

import numpy as np

_DEPTH = 3  # world -> entity -> state -> values


def world_state(env) -> dict:
    world = env.world
    entities = list(world.entities)
    index = {id(e): i for i, e in enumerate(entities)}
    return {"time": _encode(getattr(env, "time", 0), index, 0),
            "world": _encode_object(world, index, 1),
            "entities": [_encode_object(e, index, 1) for e in entities]}


def set_world_state(env, state: dict) -> None:
    world = env.world
    entities = list(world.entities)
    if len(state["entities"]) != len(entities):
        raise ValueError(f"saved world has {len(state['entities'])} entities, this one {len(entities)}")
    for e, saved in zip(entities, state["entities"]):
        _restore_object(e, saved, entities)
    _restore_object(world, state["world"], entities)
    if hasattr(env, "time"):
        env.time = _decode(state["time"], entities)


def _encode_object(obj, index, depth) -> dict:
    out = {}
    for name, value in vars(obj).items():
        enc = _encode(value, index, depth)
        if enc is not _SKIP:
            out[name] = enc
    return {"obj": out}


_SKIP = object()


def _encode(value, index, depth):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, np.ndarray):
        return {"int": int(value)}
    if isinstance(value, numbers.Real):
        return {"float": float(value)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return _SKIP
        return {"array": value.ravel().tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if id(value) in index:
        return {"entity": index[id(value)]}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, index, depth) for v in value]
        if any(i is _SKIP for i in items):
            return _SKIP
        return {"list" if isinstance(value, list) else "tuple": items}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return _SKIP
        items = {k: _encode(v, index, depth) for k, v in value.items()}
        return _SKIP if any(v is _SKIP for v in items.values()) else {"dict": items}
    if depth < _DEPTH and hasattr(value, "__dict__") and not callable(value) and type(value).__module__ != "builtins":
        return _encode_object(value, index, depth + 1)
    return _SKIP


def _decode(enc, entities):
    if enc is None or isinstance(enc, (bool, str)):
        return enc
    if "int" in enc:
        return enc["int"]
    if "float" in enc:
        return enc["float"]
    if "array" in enc:
        return np.asarray(enc["array"], dtype=np.dtype(enc["dtype"])).reshape(enc["shape"])
    if "entity" in enc:
        return entities[enc["entity"]]
    if "list" in enc:
        return [_decode(v, entities) for v in enc["list"]]
    if "tuple" in enc:
        return tuple(_decode(v, entities) for v in enc["tuple"])
    if "dict" in enc:
        return {k: _decode(v, entities) for k, v in enc["dict"].items()}
    raise ValueError(f"unknown saved value {sorted(enc)}")


def _restore_object(obj, enc, entities) -> None:
    for name, value in enc["obj"].items():
        current = getattr(obj, name, None)
        if isinstance(value, dict) and "obj" in value:
            if current is None or not hasattr(current, "__dict__"):
                raise ValueError(f"saved object attribute {name!r} is missing here")
            _restore_object(current, value, entities)
        else:
            setattr(obj, name, _decode(value, entities))
