"""Atomic file writes, and reading data pickles safely.

Writes go to a temporary file in the same folder, then are renamed over the target: a crash or
Ctrl-C mid-write leaves the previous file intact, never a truncated one. Pickles are read through
`read_data_pickle`, which admits data only (never code).
"""
from __future__ import annotations

import contextlib
import os
import pickle
import tempfile

from maddpg_tf2.errors import UntrustedPickleError


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def remove_stale_temporaries(folder, name_globs) -> list:
    """Remove the temporary files atomic_path left beside targets matching `name_globs` (e.g.
    "run_*.pkl") when a process was killed mid-write; returns the paths removed. Only call this
    where no other process writes those targets at the same time."""
    import glob

    removed = []
    for name_glob in name_globs:
        for path in glob.glob(os.path.join(glob.escape(os.fspath(folder)), "." + name_glob + ".*.tmp")):
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_pickle(path, obj) -> None:
    write_bytes(path, pickle.dumps(obj))


# What the project's pickles (and the original's) are made of: containers, numbers, strings, numpy
# arrays, scalars and dtypes. Exact (module, name) pairs as pickle names them; numpy 1 wrote
# numpy.core, numpy 2 writes numpy._core, protocol 5 arrays use _frombuffer, protocol 2 bytes come
# through _codecs.encode, Python 2 pickles name __builtin__. Nothing here can call arbitrary code.
_BUILTINS = ("list", "dict", "tuple", "set", "frozenset", "float", "int", "complex", "str", "bytes",
             "bytearray", "bool")
DATA_PICKLE_GLOBALS = frozenset(
    [(module, name) for module in ("builtins", "__builtin__") for name in _BUILTINS]
    + [(core + ".multiarray", name) for core in ("numpy.core", "numpy._core") for name in ("_reconstruct", "scalar")]
    + [(core + ".numeric", "_frombuffer") for core in ("numpy.core", "numpy._core")]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"), ("collections", "OrderedDict")])


class _DataUnpickler(pickle.Unpickler):
    """An unpickler whose globals are only DATA_PICKLE_GLOBALS."""

    def __init__(self, file, path):
        super().__init__(file, encoding="latin1")  # latin1: numpy arrays in Python 2 pickles
        self._path = path

    def find_class(self, module, name):
        if (module, name) not in DATA_PICKLE_GLOBALS:
            raise UntrustedPickleError(
                "{}: this pickle holds something other than data ({}.{}), so it was not opened; "
                "pickles can run code: load only pickles from a trusted source, such as the "
                "_rewards.pkl, _agrewards.pkl and benchmark .pkl files a run writes".format(
                    self._path, module, name))
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise UntrustedPickleError("{}: this pickle refers to outside objects (persistent id {!r}), "
                                   "so it was not opened; load only pickles from a trusted source"
                                   .format(self._path, pid))


def read_data_pickle(path):
    """Unpickle `path` admitting only data: lists, dicts, tuples, sets, numbers, strings, bytes,
    numpy arrays, scalars and dtypes. Anything else (a class, a function: what a crafted pickle uses
    to run code) raises UntrustedPickleError before it is called. Other failures (missing file, a
    truncated pickle) raise as usual."""
    with open(path, "rb") as f:
        return _DataUnpickler(f, os.fspath(path)).load()


def load_yaml(stream):
    """yaml.safe_load, except that a mapping repeating a key is a yaml.YAMLError whose first line
    names the key and its line (YAML forbids repeated keys; PyYAML would keep the last one silently,
    so a setting written twice would be half ignored)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` may be overridden
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, "key {!r} is given twice, on lines {} and {}: keep one".format(
                                key, seen[key], line), None)
                    seen[key] = line
                except TypeError:  # an unhashable key: the usual error follows
                    continue
            return super().construct_mapping(node, deep)

    return yaml.load(stream, Loader=UniqueKeyLoader)
