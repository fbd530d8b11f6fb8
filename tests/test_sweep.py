"""Issue 21: maddpg-sweep end to end on one local Ray (started once for this module, on loopback):
a 2 x 2 grid x 2 seeds gives results.csv and report.md with the right rows, a trial's curve is the same
command's run alone byte for byte, a rerun skips everything, a killed trial worker is retried and the
trial finishes from its checkpoint."""
import csv
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("ray.tune")

from maddpg_tf2.distributed import runtime  # noqa: E402

TINY = {"scenario": "simple", "max-episode-len": 5, "batch-size": 32, "buffer-size": 2000, "save-rate": 10,
        "num-envs": 1}


def sweep_yaml(path, base, grid, seeds, metric="final_reward", benchmark=None):
    import yaml

    data = {"base": base, "grid": grid, "seeds": seeds, "metric": metric}
    if benchmark:
        data["benchmark"] = benchmark
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def ray_address():
    ray = runtime.connect(None, num_cpus=2)
    yield ray.get_runtime_context().gcs_address
    runtime.shutdown()


def sweep_cmd(path, out, address, *extra):
    return [sys.executable, "-m", "maddpg_tf2.sweep.command", str(path), "--out", str(out),
            "--ray-address", address, *extra]


@pytest.fixture(scope="module")
def grid_sweep(ray_address, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    path = sweep_yaml(tmp / "grid.yaml", {**TINY, "num-episodes": 20}, {"lr": [0.01, 0.001], "num-units": [16, 32]},
                      [0, 1], metric="reward_per_episode", benchmark={"benchmark-iters": 25})
    out = tmp / "out"
    r = subprocess.run(sweep_cmd(path, out, ray_address), capture_output=True, text=True, timeout=600)
    return path, out, r


def test_grid_of_two_by_two_with_two_seeds_gives_every_row(grid_sweep):
    _, out, r = grid_sweep
    assert r.returncode == 0, r.stderr
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    got = sorted((float(row["lr"]), int(row["num-units"]), int(row["seed"])) for row in rows)
    assert got == sorted((lr, u, s) for lr in (0.01, 0.001) for u in (16, 32) for s in (0, 1))
    for row in rows:
        assert row["metric_name"] == "reward_per_episode"
        # The metric is the benchmark summary's field, which is also there flattened.
        assert float(row["metric"]) == float(row["summary.metrics.reward_per_episode.mean"])
        assert float(row["wall_s"]) > 0 and row["final_reward"] != ""
        assert row["trial"] == f"lr-{row['lr']}_num-units-{row['num-units']}_s{row['seed']}"
    report = (out / "report.md").read_text()
    table = [ln for ln in report.splitlines() if ln.startswith("| `")]
    assert [ln.split("`")[1] for ln in table] == ["lr-0.01_num-units-16", "lr-0.01_num-units-32",
                                                  "lr-0.001_num-units-16", "lr-0.001_num-units-32"]
    for ln in table:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        assert cells[1] == "2" and "s0: " in cells[4] and "s1: " in cells[4]
        values = [float(v.split(": ")[1]) for v in cells[4].split(", ")]
        mean = float(cells[2].split(" [")[0])
        assert mean == pytest.approx(sum(values) / 2, rel=1e-3, abs=1e-3)
    assert (out / "report.png").stat().st_size > 1000
    assert r.stderr.count("maddpg-sweep: finished ") == 8


def test_a_trial_is_the_same_command_run_alone(grid_sweep, tmp_path):
    _, out, _ = grid_sweep
    trial = out / "trials" / "lr-0.001_num-units-32_s1"
    alone = tmp_path / "alone"
    r = subprocess.run([sys.executable, "-m", "maddpg_tf2.cli", "--config", str(trial / "config.yaml"), "--seed", "1",
                        "--exp-name", "alone", "--save-dir", str(alone / "policy"), "--plots-dir", str(alone / "curves"),
                        "--save-replay", "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    mine = (trial / "curves" / "lr-0.001_num-units-32_s1_rewards.pkl").read_bytes()
    assert (alone / "curves" / "alone_rewards.pkl").read_bytes() == mine
    # Trials reuse Ray's worker processes (TensorFlow loads once per worker): this trial ran in a process
    # that had run another trial before, and its curve is still the fresh process's, byte for byte.
    pids = {p.name: (p / "worker.pid").read_text() for p in (out / "trials").iterdir()}
    assert sum(pid == pids[trial.name] for pid in pids.values()) > 1, pids
    # commands.txt holds exactly that command (with the trial's own folders).
    assert "--config " + str(trial / "config.yaml") + " --seed 1" in (trial / "commands.txt").read_text()


def test_a_rerun_skips_every_finished_trial(grid_sweep, ray_address):
    path, out, _ = grid_sweep
    before = (out / "results.csv").read_text()
    stamp = os.path.getmtime(out / "trials" / "lr-0.01_num-units-16_s0" / "result.json")
    r = subprocess.run(sweep_cmd(path, out, ray_address), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "8 finished already, 0 to run" in r.stderr and "finished lr" not in r.stderr
    assert (out / "results.csv").read_text() == before
    assert os.path.getmtime(out / "trials" / "lr-0.01_num-units-16_s0" / "result.json") == stamp


def _wait_for(path, proc, timeout=240):
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow  # about 40 s on 2 cores
def test_a_killed_trial_worker_is_retried_from_its_checkpoint(ray_address, tmp_path):
    path = sweep_yaml(tmp_path / "kill.yaml", {**TINY, "num-episodes": 400}, {"lr": [0.01]}, [3])
    out = tmp_path / "out"
    proc = subprocess.Popen(sweep_cmd(path, out, ray_address, "--max-retries", "2"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    trial = out / "trials" / "lr-0.01_s3"
    try:
        assert _wait_for(trial / "policy" / "meta.json", proc), "no checkpoint appeared"
        pid = int((trial / "worker.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    retry = [ln for ln in err.splitlines() if "retrying from its last checkpoint" in ln]
    assert len(retry) == 1 and "lr-0.01_s3" in retry[0] and "(retry 1 of 2)" in retry[0], err
    log = (trial / "train.log").read_text()
    starts = [ln for ln in log.splitlines() if ln.startswith("$ maddpg-train")]
    assert len(starts) == 2 and "--restore" not in starts[0] and starts[1].endswith("--restore")
    assert int((trial / "worker.pid").read_text()) != pid
    import pickle
    with open(trial / "curves" / "lr-0.01_s3_rewards.pkl", "rb") as f:
        assert len(pickle.load(f)) == 40  # every save point of 400 episodes, the killed stretch redone


def test_a_rerun_with_other_settings_is_refused_in_one_line(grid_sweep, tmp_path, ray_address):
    path, out, _ = grid_sweep
    changed = tmp_path / "changed.yaml"
    changed.write_text(path.read_text().replace("num-episodes: 20", "num-episodes: 30"))
    r = subprocess.run(sweep_cmd(changed, out, ray_address), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "run with other settings" in r.stderr and "pass another --out" in r.stderr


@pytest.mark.slow  # about 30 s on 2 cores
def test_ctrl_c_stops_the_sweep_and_keeps_every_finished_trial(ray_address, tmp_path):
    path = sweep_yaml(tmp_path / "stop.yaml", {**TINY, "num-episodes": 20}, {"lr": [0.01]}, [0, 1, 2, 3])
    out = tmp_path / "out"
    proc = subprocess.Popen(sweep_cmd(path, out, ray_address, "--max-concurrent", "1"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(out / "trials" / "lr-0.01_s0" / "result.json", proc), "no trial finished"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped: " in err and "rerun the same command to resume" in err, err
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    finished = sorted(p.parent.name for p in (out / "trials").glob("*/result.json"))
    assert 1 <= len(rows) < 4 and sorted(r["trial"] for r in rows) == finished
    assert f"Finished trials: {len(rows)} of 4" in (out / "report.md").read_text()
