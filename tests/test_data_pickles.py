"""Pickles are read as data only (issue 27, item 1): `fileio.read_data_pickle` admits lists, dicts,
numbers, strings and numpy arrays/scalars, and refuses a pickle that names anything else (what a
crafted pickle uses to run code) before calling it."""
import io
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from maddpg_tf2 import benchmark_metrics, fileio, plot
from maddpg_tf2.errors import UntrustedPickleError, UserError


class _Reduce:
    """Unpickles as `func(*args)`: the shape of every code-running pickle."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _global(module, name, arg, protocol):
    """A pickle calling module.name(arg) (a str), written opcode by opcode so that `module.name` need
    not exist here: GLOBAL for protocol 0, STACK_GLOBAL for protocol 4."""
    def text(t):
        b = t.encode()
        return b"\x8c" + bytes([len(b)]) + b  # SHORT_BINUNICODE
    if protocol == 0:
        return ("c{}\n{}\n(V{}\ntR.".format(module, name, arg)).encode()  # GLOBAL, MARK, UNICODE, TUPLE, REDUCE
    return b"\x80\x04" + text(module) + text(name) + b"\x93" + text(arg) + b"\x85R."


MARKER_CODE = "open({!r}, 'w').write('ran')"


def crafted_pickles(marker):
    """Pickles that would create `marker` (or run something) when unpickled without a whitelist."""
    code = MARKER_CODE.format(str(marker))
    return {
        "os.system": pickle.dumps(_Reduce(os.system, "touch " + str(marker))),
        "subprocess.Popen": pickle.dumps(_Reduce(subprocess.Popen, ["touch", str(marker)])),
        "builtins.eval": pickle.dumps(_Reduce(eval, code)),
        "builtins.exec": pickle.dumps(_Reduce(exec, code)),
        "builtins.getattr": pickle.dumps(_Reduce(getattr, [], "append")),
        "numpy.load (not whitelisted)": pickle.dumps(_Reduce(np.load, str(marker))),
        "numpy.frombuffer (not whitelisted)": pickle.dumps(_Reduce(np.frombuffer, b"\0" * 8)),
        # a whitelisted module with an attribute path hung off an admitted name
        "builtins.list.__class__": _global("builtins", "list.__class__", "x", 4),
        "protocol 0 posix.system": _global("posix", "system", "touch " + str(marker), 0),
        # data first, the payload nested deep inside it
        "nested": pickle.dumps([1.0, {"a": (2, [np.float64(3.0), _Reduce(eval, code)])}]),
    }


def test_crafted_pickles_are_refused_before_they_run(tmp_path):
    marker = tmp_path / "ran"
    for label, data in crafted_pickles(marker).items():
        path = tmp_path / "crafted_rewards.pkl"
        path.write_bytes(data)
        with pytest.raises(UntrustedPickleError) as e:
            fileio.read_data_pickle(path)
        msg = str(e.value)
        assert "\n" not in msg and str(path) in msg and "trusted source" in msg, (label, msg)
        assert "something other than data" in msg, (label, msg)
        assert not marker.exists(), label + " ran"
        # the same through every reader the project has
        with pytest.raises(UserError):
            plot.load_curve(path)
        with pytest.raises(UserError):
            benchmark_metrics.load_benchmark_pickle(path)
        assert not marker.exists(), label + " ran"


def test_the_pickles_a_run_and_the_original_write_load(tmp_path):
    curve = [-10.5, -9.25, -8.0]
    cases = {
        "our curve": curve,
        "the original's curve (numpy float64 means)": [np.float64(v) for v in curve],
        "per-agent curve": [np.float32(1.5), np.float64(-2.0), 3, 4.0],
        # benchmark files: episodes -> [steps] -> agents -> benchmark_data (tuples, numpy values, arrays)
        "benchmark (simple_spread)": [[[[(np.float64(-3.2), 1, np.float64(0.7), 2)] * 3] * 5]] * 2,
        "benchmark (simple_crypto)": [[[[np.array([0.0, 1.0, 0.0, 0.0]), np.array([0.25, 0.75, 0.0])]] * 3]],
        "benchmark (no benchmark_data: episode returns)":
            [{"return": np.float64(-4.0), "length": 25, "agent_returns": [np.float32(-2.0)] * 2,
              "names": ("agent_0", "agent_1")}],
        "numpy arrays of every kind": [np.arange(6, dtype=np.int64).reshape(2, 3), np.zeros(0),
                                       np.array([True, False]), np.array(["a", "bc"]),
                                       np.array([1.5], dtype=">f8"), np.float16(2.0), np.bool_(True),
                                       np.complex128(1 + 2j)],
        "containers": {"set": {1, 2}, "frozen": frozenset({3}), "bytes": b"\x00\xff", "none": None,
                       "nested": ([1], {"k": [2.0]})},
    }
    for label, obj in cases.items():
        for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
            path = tmp_path / "data.pkl"
            data = pickle.dumps(obj, protocol=protocol)
            path.write_bytes(data)
            # what the unrestricted unpickler gives (numpy drops a byte order below protocol 5)
            assert _equal(fileio.read_data_pickle(path), pickle.loads(data)), (label, protocol)
    fileio.write_pickle(tmp_path / "run_rewards.pkl", curve)  # as the logger writes it
    assert plot.load_curve(tmp_path / "run_rewards.pkl") == curve


def _equal(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_a_python2_pickle_of_numpy_arrays_loads(tmp_path):
    """Older forks of the original wrote Python 2 pickles: __builtin__ names, numpy.core, and numpy's
    bytes as a latin-1 str."""
    data = (b"(lp0\ncnumpy.core.multiarray\n_reconstruct\np1\n(cnumpy\nndarray\np2\n(I0\ntp3\nS'b'\np4\ntp5\nRp6\n"
            b"(I1\n(I2\ntp7\ncnumpy\ndtype\np8\n(S'f8'\np9\nI0\nI1\ntp10\nRp11\n(I3\nS'<'\np12\nNNNI-1\nI-1\nI0\n"
            b"tp13\nbI00\nS'\\x00\\x00\\x00\\x00\\x00\\x00\\xf0?\\x00\\x00\\x00\\x00\\x00\\x00\\x00@'\np14\n"
            b"tp15\nbac__builtin__\nset\n((lI1\natRa.")  # [numpy.array([1., 2.]), set([1])]
    path = tmp_path / "py2.pkl"
    path.write_bytes(data)
    got = fileio.read_data_pickle(path)
    assert len(got) == 2 and got[0].dtype == np.float64 and np.array_equal(got[0], [1.0, 2.0]) and got[1] == {1}


def test_maddpg_plot_refuses_a_crafted_curve_in_one_line(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil_rewards.pkl"
    path.write_bytes(crafted_pickles(marker)["os.system"])
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-m", "maddpg_tf2.plot", str(path)], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "trusted source" in lines[0] and str(path) in lines[0], r.stderr
    assert not marker.exists() and not list(tmp_path.glob("*.png"))
