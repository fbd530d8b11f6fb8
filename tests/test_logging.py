import csv
import glob
import io
import os
import pickle

import numpy as np
import pytest

from maddpg_tf2 import fileio
from maddpg_tf2.logging import RunLogger, format_save_line


def make_logger(tmp_path, **kw):
    out = io.StringIO()
    args = dict(plots_dir=tmp_path / "curves", exp_name="run", n_agents=3, save_rate=1000,
                total_episodes=60000, quiet=True, stdout=out)
    args.update(kw)
    return RunLogger(**args), out


def test_save_line_without_adversaries_matches_original(tmp_path):
    log, out = make_logger(tmp_path, num_adversaries=0)
    line = log.save_line(25000, 1000, np.float64(-12.345678), [1.0, 2.0, 3.0], seconds=3.14159)
    assert line == "steps: 25000, episodes: 1000, mean episode reward: -12.345678, time: 3.142"
    assert out.getvalue() == line + "\n"


def test_save_line_with_adversaries_lists_agent_means_as_plain_floats(tmp_path):
    log, out = make_logger(tmp_path, num_adversaries=1)
    means = [np.float64(1.5), np.float32(-2.25), 0.125]
    log.save_line(50000, 2000, -0.5, means, seconds=10.0)
    assert out.getvalue() == ("steps: 50000, episodes: 2000, mean episode reward: -0.5, "
                              "agent episode reward: [1.5, -2.25, 0.125], time: 10.0\n")


def test_default_prints_agent_means_only_when_given(tmp_path):
    log, out = make_logger(tmp_path)
    log.save_line(1, 2, 3.0, seconds=0.0004)
    assert out.getvalue() == "steps: 1, episodes: 2, mean episode reward: 3.0, time: 0.0\n"
    assert format_save_line(1, 2, 3.0, 1.23456, [1, 2]) == (
        "steps: 1, episodes: 2, mean episode reward: 3.0, agent episode reward: [1.0, 2.0], time: 1.235")


def test_pickles_keep_the_original_structure(tmp_path):
    log, _ = make_logger(tmp_path, num_adversaries=0)
    log.save_line(25000, 1000, np.float64(-10.0), [-3.0, -3.5, -3.5], seconds=1.0)
    log.save_line(50000, 2000, -8.0, [-2.0, -3.0, -3.0], seconds=1.0)
    log.write_curves()
    with open(tmp_path / "curves" / "run_rewards.pkl", "rb") as f:
        rewards = pickle.load(f)
    with open(tmp_path / "curves" / "run_agrewards.pkl", "rb") as f:
        agrewards = pickle.load(f)
    assert rewards == [-10.0, -8.0] and all(type(r) is float for r in rewards)
    assert agrewards == [-3.0, -3.5, -3.5, -2.0, -3.0, -3.0]  # saves x agents, flat


def test_curve_csv_and_plot(tmp_path):
    log, _ = make_logger(tmp_path)
    for k in range(3):
        log.save_line(25000 * (k + 1), 1000 * (k + 1), -10.0 + k, [0.5, 0.25, k], seconds=2.0)
    log.write_curves()
    with open(tmp_path / "curves" / "run_curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["episodes"]) for r in rows] == [1000, 2000, 3000]
    assert [int(r["steps"]) for r in rows] == [25000, 50000, 75000]
    assert float(rows[2]["mean_episode_reward"]) == -8.0
    assert float(rows[2]["agent_2_mean_reward"]) == 2.0
    assert float(rows[1]["interval_s"]) == 2.0
    png = log.write_plot()
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert png.endswith("run_curve.png")


def test_write_plot_before_any_save_writes_nothing(tmp_path):
    log, _ = make_logger(tmp_path)
    assert log.write_plot() is None


def test_metrics_csv_accepts_new_names_later(tmp_path):
    log, _ = make_logger(tmp_path)
    log.scalars({"loss/critic_0": 1.5}, step=100)
    log.scalars({"loss/critic_0": 1.25, "loss/actor_0": np.float32(-0.5)}, step=200)
    log.write_curves()
    with open(tmp_path / "curves" / "run_metrics.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["step", "name", "value"], ["100", "loss/critic_0", "1.5"],
                    ["200", "loss/critic_0", "1.25"], ["200", "loss/actor_0", "-0.5"]]


def test_tensorboard_event_file_written_when_enabled(tmp_path):
    tf = pytest.importorskip("tensorflow")
    tb = tmp_path / "tb"
    log, _ = make_logger(tmp_path, tensorboard_dir=tb)
    log.scalars({"loss/critic_0": 2.0}, step=1)
    log.close()
    files = glob.glob(str(tb / "events.out.tfevents*"))
    assert len(files) == 1
    scalars = {}
    for raw in tf.data.TFRecordDataset(files[0]):
        event = tf.compat.v1.Event.FromString(raw.numpy())
        for v in event.summary.value:
            # the scalars plugin's tag is what makes TensorBoard draw it as a scalar curve
            assert v.metadata.plugin_data.plugin_name == "scalars"
            scalars[v.tag] = (event.step, float(tf.make_ndarray(v.tensor)))
    assert scalars == {"loss/critic_0": (1, 2.0)}


def test_no_tensorboard_files_when_disabled(tmp_path):
    log, _ = make_logger(tmp_path)
    log.scalars({"a": 1.0}, step=1)
    log.close()
    assert not glob.glob(str(tmp_path / "**" / "events.out.tfevents*"), recursive=True)


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    log, _ = make_logger(tmp_path)
    log.save_line(1, 1000, -5.0, [1.0, 1.0, 1.0], seconds=1.0)
    log.write_curves()
    log.save_line(2, 2000, -4.0, [1.0, 1.0, 1.0], seconds=1.0)

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        log.write_curves()
    with open(tmp_path / "curves" / "run_rewards.pkl", "rb") as f:
        assert pickle.load(f) == [-5.0]
    assert not [n for n in os.listdir(tmp_path / "curves") if n.endswith(".tmp")]


def test_progress_bar_leaves_stdout_lines_intact(tmp_path, capsys):
    log, out = make_logger(tmp_path, quiet=False, total_episodes=10)
    log.message("Starting iterations...")
    for ep in range(1, 4):
        log.progress(ep, ep * 25)
    log.save_line(75, 3, -1.0, seconds=0.5)
    log.message("...Finished total of 3 episodes.")
    log.close()
    assert out.getvalue().splitlines() == [
        "Starting iterations...",
        "steps: 75, episodes: 3, mean episode reward: -1.0, time: 0.5",
        "...Finished total of 3 episodes."]
    assert "3/10" in capsys.readouterr().err


def test_quiet_has_no_bar(tmp_path, capsys):
    log, _ = make_logger(tmp_path, quiet=True)
    log.progress(5, 125)
    log.close()
    assert capsys.readouterr().err == ""


def test_restored_curves_continue_in_csv_pickles_and_plot(tmp_path):
    log, _ = make_logger(tmp_path, n_agents=2)
    log.restore_curves([-9.0, -8.0], [-4.0, -5.0, -4.0, -4.0])
    log.save_line(75000, 3000, -7.0, [-3.5, -3.5], seconds=1.0)
    log.write_curves()
    with open(tmp_path / "curves" / "run_rewards.pkl", "rb") as f:
        assert pickle.load(f) == [-9.0, -8.0, -7.0]
    with open(tmp_path / "curves" / "run_curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["episodes"] for r in rows] == ["1000", "2000", "3000"]
    assert [r["steps"] for r in rows] == ["", "", "75000"]
    assert rows[1]["agent_1_mean_reward"] == "-4.0"
    assert log.write_plot().endswith(".png")
