import os
import pathlib

import pytest

# Keep TensorFlow quiet and deterministic-ish on the 2-core CI machine.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# Any Ray a test starts (runtime.connect, ray.cluster_utils.Cluster) listens on loopback only.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def data_dir():
    return DATA


@pytest.fixture
def main(monkeypatch, tmp_path, capsys):
    """maddpg-train's main in this process, run from tmp_path (TensorFlow imported once); returns
    (rc, out, err). A module may define its own `main` fixture instead."""
    from maddpg_tf2 import cli as cli_module

    monkeypatch.chdir(tmp_path)

    def call(*args):
        rc = cli_module.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err
    return call
