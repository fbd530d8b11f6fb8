"""Issue 21: a sweep on a simulated two-node Ray cluster (`ray.cluster_utils.Cluster`: raylets on this
machine) loses the node running a trial; the trial is retried on the other node from its checkpoint
and the sweep finishes."""
import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("ray.tune")
psutil = pytest.importorskip("psutil")

from test_sweep import TINY, sweep_yaml  # noqa: E402


def _node_of(pid, nodes):
    """The Cluster node whose raylet is an ancestor of process `pid`."""
    raylets = {n.all_processes["raylet"][0].process.pid: n for n in nodes}
    proc = psutil.Process(pid)
    while proc is not None:
        if proc.pid in raylets:
            return raylets[proc.pid]
        proc = proc.parent()
    return None


@pytest.mark.slow
def test_a_lost_node_does_not_lose_the_sweep(tmp_path):
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    # The head offers no cores, so trials run on the two one-core worker nodes.
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    path = sweep_yaml(tmp_path / "lose.yaml", {**TINY, "num-episodes": 400}, {"lr": [0.01]}, [5])
    out = tmp_path / "out"
    trial = out / "trials" / "lr-0.01_s5"
    proc = subprocess.Popen([sys.executable, "-m", "maddpg_tf2.sweep.command", str(path), "--out", str(out),
                             "--ray-address", cluster.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.time() + 240
        while not (trial / "policy" / "meta.json").exists() and time.time() < end and proc.poll() is None:
            time.sleep(0.2)
        assert (trial / "policy" / "meta.json").exists(), "no checkpoint appeared"
        victim = _node_of(int((trial / "worker.pid").read_text()), nodes)
        assert victim is not None
        cluster.remove_node(victim, allow_graceful=False)
        _, err = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            proc.kill()
        cluster.shutdown()
    assert proc.returncode == 0, err
    assert "retrying from its last checkpoint" in err and (trial / "result.json").exists(), err
    starts = [ln for ln in (trial / "train.log").read_text().splitlines() if ln.startswith("$ maddpg-train")]
    assert len(starts) == 2 and starts[1].endswith("--restore")
