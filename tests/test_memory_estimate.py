"""Issue 18: a run that cannot fit in memory is refused in one line before anything is built (the
kernel would kill it silently), from an estimate of the networks, Adam, activations and replay."""
import os

import pytest

from maddpg_tf2.config import Config
from maddpg_tf2.errors import UserError
from maddpg_tf2.replay import Replay, replay_nbytes
from maddpg_tf2.safety import check_memory, estimate_memory


def test_estimate_by_hand_for_one_small_agent():
    # simple: one agent, 4 observations, 5 discrete actions (5 logits)
    c = Config(num_units=8, batch_size=4, buffer_size=100, num_envs=1, max_episode_len=25)
    parts = estimate_memory(c, [4], [5], [5], replay_nbytes(100, [4], [5], 1, 25))
    actor = 4 * 8 + 8 + 8 * 8 + 8 + 8 * 5 + 5  # 157
    critic = 9 * 8 + 8 + 8 * 8 + 8 + 8 * 1 + 1  # 161: its own observation and action
    assert parts == {
        "networks": 6 * 4 * (actor + critic),  # online, target, Adam m and v, gradient, clipped; float32
        "init": 8 * 72,  # the 9 x 8 kernel drawn in float64
        "activations": 1 * (1 + 4) * 2 * 4 * 8 * 4 * 2,  # 5 passes, 2 hidden layers of 4 x 8, value + grad
        "batches": 1 * 4 * (2 * 4 + 5 + 2) * 4 * 3,
        "replay": 105 * (4 * (4 + 5 + 1) + 1),  # 100 rows + 4 terminal rows + 1, float32 + a flag byte
    }
    assert parts["networks"] == 7632 and parts["replay"] == 4305


def test_replay_estimate_is_what_the_replay_allocates():
    for args in [(100, [4], [5], 1, 25, 0), (1000, [18, 18, 18], [5, 5, 5], 7, 25, 3), (50, [3, 2], [2, 2], 4, 3, 0)]:
        assert replay_nbytes(*args) == Replay(*args[:3], num_envs=args[3], episode_len=args[4], num_tags=args[5]).nbytes


def test_refused_when_the_estimate_exceeds_what_is_available():
    c = Config(scenario="simple_spread", num_units=16384)
    # simple_spread: 3 agents, 18 observations, 5 actions each
    with pytest.raises(UserError) as e:
        check_memory(c, [18] * 3, [5] * 3, [5] * 3, 0, available=20 * 2**30)
    text = str(e.value)
    assert "networks with Adam 36.1 GiB from --num-units 16384" in text
    assert "but 20.0 GiB is available; lower --num-units" in text and "\n" not in text
    check_memory(Config(scenario="simple_spread"), [18] * 3, [5] * 3, [5] * 3, 0, available=20 * 2**30)


def test_cli_refuses_before_building(monkeypatch, capsys, tmp_path):
    from maddpg_tf2 import safety
    from maddpg_tf2.cli import main

    monkeypatch.setattr(safety, "available_memory", lambda: 2**30)
    built = []
    import maddpg_tf2.loop as loop
    monkeypatch.setattr(loop, "build_agents", lambda *a: built.append(a))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p").mkdir()  # the user's own folder stays; the one the checks made for --save-dir goes again
    rc = main(["--scenario", "simple_spread", "--num-units", "2048", "--num-episodes", "2", "--quiet",
               "--save-dir", str(tmp_path / "s" / "run"), "--plots-dir", str(tmp_path / "p")])
    lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert rc == 2 and len(lines) == 1, lines
    assert lines[0].startswith("maddpg-train: error: this run needs about ") and "but 1.0 GiB is available" in lines[0]
    assert lines[0].endswith("lower --num-units")
    assert built == [] and sorted(os.listdir(tmp_path)) == ["p"] and os.listdir(tmp_path / "p") == []


def test_estimate_with_parameter_sharing_counts_a_team_once():
    # simple_spread N=3 with the one-hot index: observations 18 + 3, one team of three
    c = Config(num_units=8, batch_size=4, parameter_sharing="team")
    parts = estimate_memory(c, [21] * 3, [5] * 3, [5] * 3, 0)
    actor = 21 * 8 + 8 + 8 * 8 + 8 + 8 * 5 + 5
    critic = (63 + 15 + 3) * 8 + 8 + 8 * 8 + 8 + 8 + 1  # every observation and action, and the index
    assert parts["networks"] == 6 * 4 * (actor + critic)
    assert parts["activations"] == 3 * (3 + 4) * 2 * 4 * 8 * 4 * 2  # the team's three batches at once
    plain = estimate_memory(c.replace(parameter_sharing="none"), [21] * 3, [5] * 3, [5] * 3, 0)
    assert plain["networks"] == 6 * 4 * 3 * (actor + critic - 3 * 8)
