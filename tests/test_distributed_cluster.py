"""Issue 10: a run with explorers on a simulated multi-node Ray cluster (`ray.cluster_utils.Cluster`,
several raylets on this machine) loses a node mid-run and finishes."""
import pickle

import pytest

ray = pytest.importorskip("ray")

from maddpg_tf2.cli import main as cli_main  # noqa: E402
from maddpg_tf2.distributed import explorers as explorers_mod  # noqa: E402
from maddpg_tf2.distributed import runtime  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    # One CPU per node and two explorers of one CPU each: at least one explorer lives on a worker
    # node, and after that node is gone the restarted explorer fits on the node left free.
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    workers = [c.add_node(num_cpus=1) for _ in range(2)]
    c.wait_for_nodes()
    yield c, workers
    runtime.shutdown()
    c.shutdown()


@pytest.mark.slow
def test_a_node_lost_mid_run_and_the_run_finishes(cluster, tmp_path, capsys, monkeypatch):
    c, workers = cluster
    original = explorers_mod.ExplorerCollector._next_round
    state = {"round": 0, "removed": None}

    def losing_a_node(self, random):
        state["round"] += 1
        if state["round"] == 3:
            nodes = {w.node_id: w for w in workers}
            hosts = [ray.get(e.node_id.remote()) for e in self.explorers]
            victim = next(nodes[h] for h in hosts if h in nodes)
            state["removed"] = hosts.index(victim.node_id)
            c.remove_node(victim)
        return original(self, random)

    monkeypatch.setattr(explorers_mod.ExplorerCollector, "_next_round", losing_a_node)
    args = ["--max-episode-len", "5", "--batch-size", "32", "--buffer-size", "2000", "--save-rate", "40",
            "--num-envs", "4", "--quiet", "--num-episodes", "240", "--seed", "3", "--explorers", "2",
            "--ray-address", c.address, "--save-dir", tmp_path / "save", "--plots-dir", tmp_path / "plots",
            "--exp-name", "run"]
    rc = cli_main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert rc == 0, err
    lines = out.splitlines()
    lost = [l for l in err.splitlines() if l.startswith("maddpg-train: note: explorer ")]
    assert lost[0].startswith(f"maddpg-train: note: explorer {state['removed']} lost"), err
    assert lines[-1] == "...Finished total of 241 episodes."
    with open(tmp_path / "plots" / "run_rewards.pkl", "rb") as f:
        assert len(pickle.load(f)) == 6
