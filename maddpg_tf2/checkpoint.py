"""Save and restore the learner (atomic), and import checkpoints written by the original code.

Native layout of a checkpoint folder:
    ckpt-N.meta.json          scenario, obs/act dims, num_units, critic kinds, ensemble size K, whether it
                              holds inferred policies (trackables agent_i_sub_k, infer_i_j), env settings
                              of ckpt-N: a checkpoint from another scenario or network size is refused
                              before any tensor is read
    meta.json                 a copy of the latest ckpt-N.meta.json (read when a sidecar is missing:
                              folders written before the sidecars existed)
    checkpoint                TensorFlow's state file naming the latest ckpt-N
    ckpt-N.index, .data-*     weights, targets, Adam state, update counter, TF generator, counters
    ckpt-N.extra.json         the caller's extra state (progress, numpy generator), optional
    ckpt-N.replay.npz         the replay buffer's state_dict(), optional; only the latest checkpoint's is kept

Atomicity: the sidecar files are written first through fileio (temporary file + rename); TensorFlow
then writes ckpt-N's tensors and, last, replaces the `checkpoint` state file atomically (temporary
file + rename); meta.json follows. A crash at any point leaves the state file naming a complete
checkpoint with its own metadata, and restore reads only what the state file names. The manager
keeps the last `max_to_keep`. Temporary files a killed save left behind are removed by the next save.

Original layout (docs/original.md §4): the TF1 Saver prefix is the folder itself, so the files are
`<dir>/.index`, `<dir>/.data-00000-of-00001`; variables `agent_i/{p_func,target_p_func,q_func,
target_q_func}/fully_connected{,_1,_2}/{weights,biases}`, Adam slots `agent_i/agent_i/{p_func,q_func}/
.../{Adam,Adam_1}`, beta powers `agent_i/beta{1,2}_power` (critic optimizer, created first) and
`agent_i_1/beta{1,2}_power` (actor optimizer). The format is detected from the folder contents.
"""
from __future__ import annotations

import glob
import json
import os
import re
from typing import Dict, List, Optional

import numpy as np
import tensorflow as tf

from maddpg_tf2 import fileio
from maddpg_tf2.errors import CheckpointError, SaveError  # noqa: F401  (defined below both modules; re-exported)

# Layer names of the original (tf.contrib.layers.fully_connected called three times in one scope):
# the checkpoint layout and the networks' variable names (networks.MLP) both follow them.
LAYER_NAMES = ("fully_connected", "fully_connected_1", "fully_connected_2")

META_FILE = "meta.json"
PREFIX = "ckpt"
FORMAT_NAME = "maddpg_tf2"
FORMAT_VERSION = 1


# What TensorFlow's readers raise on damaged files (a truncated data file gives IndexError).
_READ_ERRORS = (tf.errors.OpError, ValueError, RuntimeError, IndexError, OSError, KeyError, AssertionError)


# ----------------------------------------------------------------------------- helpers

def scenario_key(scenario: Optional[str]) -> Optional[str]:
    """'simple_spread', 'simple_spread.py' and '/path/simple_spread.py' all name one scenario."""
    if scenario is None:
        return None
    if str(scenario).startswith(("pettingzoo:", "gymnasium:")):
        return str(scenario)  # an env id names itself (envs/make.py is_external)
    return os.path.splitext(os.path.basename(str(scenario).rstrip("/")))[0]


def model_meta(learner, scenario: Optional[str] = None) -> dict:
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "scenario": scenario_key(scenario),
            "obs_dims": list(learner.obs_dims), "act_dims": list(learner.act_dims),
            "num_units": int(learner.num_units),
            "critics": ["ddpg" if q else "maddpg" for q in learner.local_q_n],
            # the update rule per agent (maddpg, ddpg, matd3, mmmaddpg): MATD3 checkpoints hold a second critic
            "rules": list(getattr(learner, "rule_names", None) or
                          ["ddpg" if q else "maddpg" for q in learner.local_q_n]),
            # actor output sizes: a Box actor's differ between --box-policy deterministic and gaussian
            "param_dims": [int(d.param_size) for d in learner.dists],
            "ensemble_size": learner.ensemble.size if getattr(learner, "ensemble", None) else 1,
            "infer_policies": getattr(learner, "inference", None) is not None,
            **env_meta(getattr(learner, "config", None))}


def env_meta(config) -> dict:
    """How the env was built (recorded so that a checkpoint says what it was trained on)."""
    if config is None:
        return {}
    return {"env_kwargs": config.env_kwargs, "continuous_actions": bool(config.continuous_actions),
            "box_policy": config.box_policy, "parameter_sharing": getattr(config, "parameter_sharing", "none")}


def _describe(meta: dict) -> str:
    return (f"scenario {meta.get('scenario')!r}, obs dims {meta.get('obs_dims')}, act dims "
            f"{meta.get('act_dims')}, num_units {meta.get('num_units')}, critics {meta.get('critics')}, "
            f"ensemble size {meta.get('ensemble_size', 1)}"
            + (f", actor outputs {meta['param_dims']} (--box-policy {meta.get('box_policy')})"
               if "param_dims" in meta else ""))


def check_meta(saved: dict, current: dict, path: str) -> None:
    """Refuse a checkpoint written for another scenario, network size or critic kind."""
    keys = ["obs_dims", "act_dims", "num_units", "critics", "param_dims"]
    if saved.get("scenario") and current.get("scenario"):
        keys.insert(0, "scenario")
    if saved.get("ensemble_size", 1) != current.get("ensemble_size", 1):
        raise CheckpointError(
            f"checkpoint in {path} holds {saved.get('ensemble_size', 1)} sub-policies per agent, this run "
            f"{current.get('ensemble_size', 1)}; pass --ensemble-size {saved.get('ensemble_size', 1)} (the size "
            f"it was trained with), or use another --load-dir")
    if "parameter_sharing" in current and saved.get("parameter_sharing", "none") != current["parameter_sharing"]:
        raise CheckpointError(f"checkpoint in {path} was trained with --parameter-sharing "
                              f"{saved.get('parameter_sharing', 'none')}, this run has {current['parameter_sharing']}; "
                              f"pass --parameter-sharing {saved.get('parameter_sharing', 'none')} or use another --load-dir")
    if current.get("infer_policies") and not saved.get("infer_policies"):
        raise CheckpointError(f"checkpoint in {path} was trained without --infer-policies and holds no "
                              f"inferred policies; drop --infer-policies or use another --load-dir")
    for k in keys:
        if k in saved and k in current and saved[k] != current[k]:
            raise CheckpointError(
                f"checkpoint in {path} does not fit this model ({k} differs).\n"
                f"  checkpoint: {_describe(saved)}\n  this run:   {_describe(current)}\n"
                f"Load it with the scenario, --num-units and --box-policy it was trained with, or use another --load-dir.")
    # After the model's shape: a checkpoint of another scenario is named as such first.
    if "rules" in saved and "rules" in current and saved["rules"] != current["rules"]:
        raise CheckpointError(
            f"checkpoint in {path} was trained with the rules {saved['rules']} per agent, this run builds "
            f"{current['rules']}; pass the --good-policy/--adv-policy/--num-adversaries it was trained with, "
            f"or use another --load-dir")


def detect_format(directory: str) -> Optional[str]:
    """'native', 'original' or None (no checkpoint here)."""
    directory = os.fspath(directory)
    latest = _latest_native(directory)
    if latest and (os.path.isfile(latest + ".meta.json") or os.path.isfile(os.path.join(directory, META_FILE))):
        return "native"
    if os.path.isfile(os.path.join(directory, ".index")):
        return "original"
    return None


def _agent_trackables(learner) -> Dict[str, tf.Module]:
    return {f"agent_{i}": a for i, a in enumerate(learner.agents)}


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


# ----------------------------------------------------------------------------- native save / restore

def _checkpoint_object(learner, counters: Dict[str, tf.Variable]) -> tf.train.Checkpoint:
    extras = learner.extra_trackables() if hasattr(learner, "extra_trackables") else {}
    return tf.train.Checkpoint(rng=learner.rng, update_rounds=learner.update_rounds, **counters,
                               **_agent_trackables(learner), **extras)


def _counter_vars(values: Optional[dict] = None) -> Dict[str, tf.Variable]:
    values = values or {}
    return {k: tf.Variable(int(values.get(k, 0)), dtype=tf.int64, trainable=False)
            for k in ("train_step", "episode")}


def _latest_native(directory: str, say: bool = True) -> Optional[str]:
    """The prefix (ckpt-N) the state file names when it is one of ours, else None. When the one it
    names is missing or incomplete, the newest complete ckpt-N in the folder instead (said once on
    stderr unless say=False). The state file is read here, not by TensorFlow, whose reader logs raw
    ERROR lines for a missing checkpoint."""
    directory = os.fspath(directory)
    try:
        with open(os.path.join(directory, "checkpoint"), encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    named = re.search(r'^model_checkpoint_path:\s*"(.*)"\s*$', text, re.M)
    ours = lambda p: re.fullmatch(rf"{PREFIX}-\d+", os.path.basename(p)) is not None  # noqa: E731
    if not named or not ours(named.group(1)):
        return None
    where = lambda p: p if os.path.isabs(p) else os.path.join(directory, p)  # noqa: E731
    first = where(named.group(1))
    if _complete(first):
        return first
    listed = [where(p) for p in re.findall(r'^all_model_checkpoint_paths:\s*"(.*)"\s*$', text, re.M)]
    found = [p[:-len(".index")] for p in glob.glob(os.path.join(glob.escape(directory), f"{PREFIX}-*.index"))]
    complete = sorted({p for p in listed + found if ours(p) and _complete(p)}, key=_number)
    if not complete:
        return None
    if say and (directory, first) not in _REPORTED:
        _REPORTED.add((directory, first))
        from maddpg_tf2.notes import notice
        notice(f"the state file {os.path.join(directory, 'checkpoint')} names {os.path.basename(first)}, which is "
               f"missing or incomplete; using {os.path.basename(complete[-1])}, the newest complete checkpoint there")
    return complete[-1]


_REPORTED = set()  # (folder, missing checkpoint) already said


def _complete(prefix: str) -> bool:
    """ckpt-N.index and every data shard it was written with (ckpt-N.data-0000k-of-0000K)."""
    shards = glob.glob(glob.escape(prefix) + ".data-*-of-*")
    if not os.path.isfile(prefix + ".index") or not shards:
        return False
    m = re.search(r"-of-(\d+)$", shards[0])
    return bool(m) and len(shards) == int(m.group(1))


def read_meta(directory: str) -> Optional[dict]:
    """The description of the latest native checkpoint in `directory` (None: there is none).

    Raises CheckpointError when the description is unreadable."""
    directory = os.fspath(directory)
    latest = _latest_native(directory)
    if latest is None:
        return None
    for path in (latest + ".meta.json", os.path.join(directory, META_FILE)):
        if os.path.isfile(path):
            meta = _read_json(path, "checkpoint description ")
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
                raise CheckpointError(f"{path} is not a {FORMAT_NAME} checkpoint description")
            return meta
    return None


def completed_episodes(directory: str) -> Optional[int]:
    """Episodes the latest native checkpoint in `directory` had completed (its ckpt-N.extra.json), or
    None when that is not recorded (no checkpoint, the original's format, no progress saved)."""
    latest = _latest_native(os.fspath(directory), say=False)
    if latest is None or not os.path.isfile(latest + ".extra.json"):
        return None
    try:
        with open(latest + ".extra.json", encoding="utf-8") as f:
            completed = (json.load(f).get("progress") or {}).get("completed")
    except (OSError, ValueError, AttributeError):
        return None  # restoring reports a damaged file in full
    return completed if isinstance(completed, int) and not isinstance(completed, bool) else None


def remove_stale_temporaries(directory: str) -> List[str]:
    """Remove what a killed save left: fileio's hidden temporaries of checkpoint files, TensorFlow's
    `ckpt-N_temp` shard folders and `checkpoint.tmp...` state files. Returns what was removed."""
    import shutil

    removed = fileio.remove_stale_temporaries(directory, [f"{PREFIX}-*", META_FILE])
    for pattern in (f"{PREFIX}-*_temp*", "checkpoint.tmp*"):  # TensorFlow's own temporaries
        for path in glob.glob(os.path.join(glob.escape(directory), pattern)):
            try:
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
                removed.append(path)
            except OSError:
                pass
    return removed


def _number(path: str) -> int:
    m = re.search(rf"{PREFIX}-(\d+)$", path)
    return int(m.group(1)) if m else 0


def save(directory: str, learner, extra: Optional[dict] = None, replay=None,
         scenario: Optional[str] = None, counters: Optional[dict] = None, max_to_keep: int = 5) -> str:
    """Write a new checkpoint into `directory`; returns its prefix (`<directory>/ckpt-N`).

    extra: JSON-serialisable state of the caller; replay: an object with state_dict(); counters:
    {'train_step': int, 'episode': int}.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    remove_stale_temporaries(directory)
    meta_path = os.path.join(directory, META_FILE)
    state_file = os.path.join(directory, "checkpoint")
    if os.path.isfile(state_file) and _latest_native(directory) is None:
        # A state file we did not write (e.g. the original's, naming "./"): the manager would adopt
        # its entries and later delete those files. Keep it aside instead.
        os.replace(state_file, state_file + ".original")
    meta_text = json.dumps(model_meta(learner, scenario), indent=1)

    ckpt = _checkpoint_object(learner, _counter_vars(counters))
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=max_to_keep, checkpoint_name=PREFIX)
    number = max([_number(p) for p in manager.checkpoints] + [0]) + 1
    stem = os.path.join(directory, f"{PREFIX}-{number}")
    try:
        # The description travels with its checkpoint: meta.json alone, rewritten before the tensors, could
        # describe a new configuration while the state file still names the old checkpoint.
        fileio.write_text(stem + ".meta.json", meta_text)
        if extra is not None:
            fileio.write_text(stem + ".extra.json", json.dumps(extra, default=_json_default))
        if replay is not None:
            with fileio.atomic_path(stem + ".replay.npz") as tmp:
                with open(tmp, "wb") as f:
                    np.savez(f, **replay.state_dict())
        path = manager.save(checkpoint_number=number)
        fileio.write_text(meta_path, meta_text)
    except (OSError, tf.errors.OpError) as e:
        raise _save_failed(directory, stem, e, learner, replay) from None
    _remove_orphans(directory, manager.checkpoints)
    return path


def _save_failed(directory: str, stem: str, error: BaseException, learner, replay) -> SaveError:
    """Remove what the failed save wrote (unless TensorFlow's state file already names it: then it
    is complete) and say, in one line, where and why; the previous checkpoint stays the latest."""
    import errno
    import shutil

    complete = _latest_native(directory, say=False) == stem
    if not complete:
        for path in glob.glob(glob.escape(stem) + ".*") + glob.glob(glob.escape(stem) + "_temp*"):
            try:
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
            except OSError:
                pass
    remove_stale_temporaries(directory)
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
    full = (getattr(error, "errno", None) == errno.ENOSPC or "No space left" in str(error)
            or isinstance(error, tf.errors.ResourceExhaustedError))
    previous = _latest_native(directory, say=False)
    kept = (f"{os.path.basename(stem)} was written; only meta.json could not be updated" if complete else
            f"the previous checkpoint ({os.path.basename(previous)}) is intact and still the latest" if previous
            else "no checkpoint was saved there")
    if not full:
        return SaveError(f"could not save the checkpoint to {directory}: {text}; {kept}; check the folder is "
                         f"writable or pass another --save-dir")
    need = sum(int(np.prod(v.shape)) * v.dtype.size for v in learner.variables)
    if replay is not None:
        need += sum(np.asarray(a).nbytes for a in replay.state_dict().values())
    try:
        free = f", {_size(shutil.disk_usage(directory).free)} free"
    except OSError:
        free = ""
    return SaveError(f"no space left on the device of {directory} to save the checkpoint (it needs about "
                     f"{_size(need)}{free}); {kept}; free some space or pass another --save-dir")


def _size(nbytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024


def _remove_orphans(directory: str, kept: List[str]) -> None:
    """Sidecars of checkpoints the manager has rotated out, and every replay but the latest
    checkpoint's (a replay is large and only the latest one resumes a run)."""
    keep = {os.path.basename(p) for p in kept}
    latest = os.path.basename(kept[-1]) if kept else None
    for kind in ("extra.json", "meta.json", "replay.npz"):
        for f in glob.glob(os.path.join(glob.escape(directory), f"{PREFIX}-*.{kind}")):
            stem = os.path.basename(f).split(".")[0]
            if stem not in keep or (kind == "replay.npz" and stem != latest):
                os.remove(f)


def restore(directory: str, learner, replay=None, scenario: Optional[str] = None) -> dict:
    """Load the latest checkpoint in `directory` (either format) into `learner` (and `replay`).

    Returns the saved extra dict plus 'counters' ({'train_step', 'episode'}) for native checkpoints;
    {} for the original's (it stores neither counters nor replay).
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise CheckpointError(f"no checkpoint folder at {directory}")
    kind = detect_format(directory)
    if kind == "original":
        if getattr(learner, "ensemble", None) is not None:
            raise CheckpointError(f"checkpoint in {directory} was written by the original code, which has one "
                                  f"policy per agent; load it with --ensemble-size 1")
        load_original(directory, learner)
        return {}
    if kind is None:
        raise no_checkpoint(directory)
    return _restore_native(directory, learner, replay, scenario)


def no_checkpoint(directory: str) -> CheckpointError:
    return CheckpointError(
        f"no checkpoint found in {directory}: expected a maddpg_tf2 checkpoint (meta.json, checkpoint, "
        f"ckpt-N.index) or one written by the original code (.index, .data-00000-of-00001)")


def _restore_native(directory, learner, replay, scenario) -> dict:
    saved_meta = read_meta(directory)
    if saved_meta is None:
        raise CheckpointError(f"no checkpoint description (ckpt-N.meta.json or {META_FILE}) in {directory}")
    check_meta(saved_meta, model_meta(learner, scenario), directory)
    path = _latest_native(directory)
    counters = _counter_vars()
    ckpt = _checkpoint_object(learner, counters)
    try:
        ckpt.read(path).assert_existing_objects_matched().expect_partial()
    except _READ_ERRORS as e:
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path} could not be read (truncated or foreign?): {first}") from None
    result = {}
    extra_path = path + ".extra.json"
    if os.path.isfile(extra_path):
        result = _read_json(extra_path)
    result["counters"] = {k: int(v.numpy()) for k, v in counters.items()}
    if replay is not None:
        result["replay_restored"], result["replay_skipped"] = _restore_replay(path + ".replay.npz", replay)
    return result


def _restore_replay(replay_path: str, replay):
    """(restored, why not): a replay that does not fit this run (other --num-envs or --buffer-size)
    or cannot be read is left out, never a reason to refuse the resume."""
    if not os.path.isfile(replay_path):
        return False, None
    try:
        with np.load(replay_path) as z:
            state = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError) as e:
        return False, f"the saved replay {replay_path} could not be read ({type(e).__name__})"
    layout = [int(x) for x in state.get("layout", [])]
    try:
        replay.load_state_dict(state)
    except (ValueError, KeyError, IndexError):
        saved = (f"{layout[0]} worlds of {layout[1]} rows" if len(layout) > 2 else "another layout")
        return False, (f"the saved replay ({saved}) does not fit this run's --num-envs {replay.num_envs} "
                       f"and --buffer-size {replay.capacity} ({replay.num_envs} worlds of {replay.rows_per_env} rows)")
    return True, None


# ----------------------------------------------------------------------------- original import

def original_variable_map(learner) -> Dict[str, tf.Variable]:
    """Original variable name -> our variable, weights and targets of every agent."""
    out = {}
    for i, a in enumerate(learner.agents):
        for scope, net in (("p_func", a.actor), ("target_p_func", a.target_actor),
                           ("q_func", a.critic), ("target_q_func", a.target_critic)):
            for layer, w, b in zip(LAYER_NAMES, net.kernels, net.biases):
                out[f"agent_{i}/{scope}/{layer}/weights"] = w
                out[f"agent_{i}/{scope}/{layer}/biases"] = b
    return out


def _read_json(path: str, what: str = ""):
    """A sidecar JSON file of a checkpoint, or CheckpointError naming it."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError(f"unreadable {what}{path}: {e}") from None


def original_optimizer_names(name: str, layer_names: Dict[str, List[str]], actor_opt, critic_opt
                             ) -> Dict[str, tf.Variable]:
    """TF1's names for one agent's optimizer state: Adam slots `<name>/<name>/<scope>/<layer>/Adam{,_1}`
    (layer_names per scope p_func / q_func, in the networks' variable order), beta powers under
    `<name>/` (critic) and `<name>_1/` (actor)."""
    out = {}
    for scope, opt in (("p_func", actor_opt), ("q_func", critic_opt)):
        for n, m, v in zip(layer_names[scope], opt.m, opt.v):
            out[f"{name}/{name}/{scope}/{n}/Adam"] = m
            out[f"{name}/{name}/{scope}/{n}/Adam_1"] = v
    for k in ("beta1_power", "beta2_power"):
        out[f"{name}/{k}"] = getattr(critic_opt, k)
        out[f"{name}_1/{k}"] = getattr(actor_opt, k)
    return out


def original_optimizer_map(learner) -> Dict[str, tf.Variable]:
    """Original Adam slot / beta power names -> our optimizer variables."""
    names = [f"{layer}/{kind}" for layer in LAYER_NAMES for kind in ("weights", "biases")]
    out = {}
    for i, a in enumerate(learner.agents):
        out.update(original_optimizer_names(f"agent_{i}", {"p_func": names, "q_func": names},
                                            a.actor_opt, a.critic_opt))
    return out


def load_original(directory: str, learner) -> None:
    """Import a checkpoint written by the original TF1 code (weights, targets and, if present, Adam)."""
    prefix = os.path.join(os.fspath(directory), "")
    if not glob.glob(prefix + ".data-*"):
        raise CheckpointError(f"checkpoint written by the original code in {directory} is incomplete: "
                              f"it has .index but no .data-00000-of-00001 file")
    try:
        reader = tf.compat.v1.train.NewCheckpointReader(prefix)
        shapes = reader.get_variable_to_shape_map()
    except _READ_ERRORS as e:
        raise CheckpointError(f"checkpoint written by the original code in {directory} could not be read "
                              f"(truncated or incomplete?): {str(e).strip().splitlines()[0][:300]}") from None
    weights = original_variable_map(learner)
    missing = [k for k in weights if k not in shapes]
    if missing:
        found = sorted(k for k in shapes if "/" in k)[:5]
        raise CheckpointError(
            f"checkpoint in {directory} is not a MADDPG checkpoint for {learner.n} agents: variable "
            f"{missing[0]} is missing (it holds {len(shapes)} variables, e.g. {found})")
    extra_agent = f"agent_{learner.n}/p_func/{LAYER_NAMES[0]}/weights"
    if extra_agent in shapes:
        raise CheckpointError(f"checkpoint in {directory} has more than the {learner.n} agents of this scenario")
    optim = original_optimizer_map(learner)
    have_optim = all(k in shapes for k in optim)
    todo = dict(weights, **(optim if have_optim else {}))
    for name, var in todo.items():
        if list(shapes[name]) != var.shape.as_list():
            raise CheckpointError(
                f"checkpoint in {directory} does not fit this model: variable {name} has shape "
                f"{list(shapes[name])} in the checkpoint but {var.shape.as_list()} here (another scenario, "
                f"--num-units or ddpg/maddpg choice?)")
    values = {}
    try:
        for name in todo:
            values[name] = reader.get_tensor(name)
    except _READ_ERRORS as e:
        raise CheckpointError(f"checkpoint in {directory} is damaged: reading {name} failed: "
                              f"{str(e).strip().splitlines()[0][:300]}") from None
    for name, var in todo.items():
        var.assign(np.asarray(values[name], dtype=var.dtype.as_numpy_dtype))
