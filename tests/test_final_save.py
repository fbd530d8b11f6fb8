"""Issue 18: the end of training saves the episodes after the last save point (as Ctrl-C would);
the learning curves keep the original's points, one every --save-rate episodes."""
import json
import pickle

import pytest


@pytest.fixture
def cli(monkeypatch, tmp_path, capsys):
    """The command line's main in this process (the program experiments/train.py runs); (rc, err)."""
    from maddpg_tf2 import cli as cli_module

    monkeypatch.chdir(tmp_path)

    def call(*args):
        rc = cli_module.main([str(a) for a in args])
        return rc, capsys.readouterr().err
    return call


def latest_extra(folder):
    state = (folder / "checkpoint").read_text().splitlines()[0]
    name = state.split('"')[1]
    return name, json.loads((folder / f"{name}.extra.json").read_text())


def test_end_of_training_saves_the_last_episodes(tmp_path, cli):
    out = ["--save-dir", tmp_path / "s", "--plots-dir", tmp_path / "p", "--exp-name", "e", "--max-episode-len", 5,
           "--batch-size", 8, "--buffer-size", 500, "--num-envs", 1, "--quiet", "--save-rate", 20]
    rc, err = cli("--num-episodes", 30, *out)
    assert rc == 0 and err == "", err
    name, extra = latest_extra(tmp_path / "s")
    # a save point at the 20th started episode (19 completed), then the final save at 30
    assert name == "ckpt-2" and extra["progress"]["completed"] == 30 and extra["progress"]["train_step"] == 150
    rewards = pickle.loads((tmp_path / "p" / "e_rewards.pkl").read_bytes())
    assert len(rewards) == 1  # curve points stay one per --save-rate episodes
    from maddpg_tf2.checkpoint import completed_episodes
    assert completed_episodes(tmp_path / "s") == 30 and completed_episodes(tmp_path / "p") is None
    # resuming a finished run would train nothing: one line saying so (issue 27), nothing saved
    rc, err = cli("--num-episodes", 30, "--restore", *out)
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1 and "has completed 30 episodes already and --num-episodes is 30" in lines[0], err
    assert latest_extra(tmp_path / "s")[0] == "ckpt-2"
    rc, err = cli("--num-episodes", 12, "--restore", *out)  # below what is done: the same line
    assert rc == 2 and "has completed 30 episodes already and --num-episodes is 12" in err, err
    rc, err = cli("--num-episodes", 35, "--restore", *out)
    assert rc == 0, err
    name, extra = latest_extra(tmp_path / "s")
    assert name == "ckpt-3" and extra["progress"]["completed"] == 35
