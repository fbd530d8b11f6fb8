"""Issue 18: every numeric flag's range and finiteness come from one table (maddpg_tf2/ranges.py),
checked before anything starts, on the command line and in YAML --config files alike."""
import os
import pathlib
import subprocess
import sys

import pytest

from maddpg_tf2.cli import build_parser, main
from maddpg_tf2.config import Config
from maddpg_tf2.ranges import INT_MAX, RANGES, flag_name

ROOT = pathlib.Path(__file__).resolve().parents[1]
NUMERIC = sorted(d for d, r in RANGES.items() if r.kind in ("int", "float"))


def test_every_flag_and_config_field_has_a_row():
    dests = {a.dest for a in build_parser()._actions if a.dest != "help"}
    assert dests - set(RANGES) == set(), "flags without a row in maddpg_tf2/ranges.py"
    assert set(Config.field_names()) - set(RANGES) == set()
    assert set(RANGES) - dests == set(), "rows for flags that do not exist"
    for action in build_parser()._actions:  # every flag parsed as a number has a numeric row
        if action.dest in RANGES and action.type in (int, float):
            assert RANGES[action.dest].kind in ("int", "float"), action.dest


def bad_values(dest):
    """(value as typed, what the one line must show) for each kind of bad input."""
    r = RANGES[dest]
    high = Config().buffer_size if isinstance(r.high, str) else r.high
    values = [("nan", "nan"), ("inf", "inf"), ("-inf", "inf"), ("x1", "'x1'")]
    if r.low is not None:
        below = r.low if r.low_open else r.low - 1
        values.append((str(int(below) if r.kind == "int" else below), ""))
    values.append((str(high + 1) if high is not None else ("1e400" if r.kind == "float" else str(10**30)), ""))
    if r.kind == "int":
        values.append(("1e23", "'1e23'"))  # a float spelling for a whole number
    return values


CASES = [(d, v, shown) for d in NUMERIC for v, shown in bad_values(d)]


def run_main(capsys, argv):
    rc = main(argv)
    err = capsys.readouterr().err
    return rc, [l for l in err.splitlines() if l.strip()]


@pytest.mark.parametrize("dest,value,shown", CASES, ids=[f"{d}={v}" for d, v, _ in CASES])
def test_bad_number_on_the_command_line_is_one_line(dest, value, shown, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    flag = flag_name(dest)
    with pytest.raises(SystemExit) if not _parses(dest, value) else _nothing():
        rc, lines = run_main(capsys, ["--save-dir", str(tmp_path / "s"), f"{flag}={value}"])
        assert rc == 2 and len(lines) == 1, lines
        _check_line(lines[0], flag, shown)
    if not _parses(dest, value):  # argparse's own exit: code 2, one line naming the flag and its range
        lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
        assert len(lines) == 1, lines
        _check_line(lines[0], flag, shown)
    assert os.listdir(tmp_path) == []  # nothing started: no folder made


@pytest.mark.parametrize("dest,value,shown", CASES, ids=[f"{d}={v}" for d, v, _ in CASES])
def test_bad_number_in_a_yaml_file_is_one_line(dest, value, shown, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yaml_value = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}.get(value, value)
    (tmp_path / "c.yaml").write_text(f"{dest.replace('_', '-')}: {yaml_value}\nsave-dir: {tmp_path / 's'}\n")
    rc, lines = run_main(capsys, ["--config", str(tmp_path / "c.yaml")])
    assert rc == 2 and len(lines) == 1, lines
    assert lines[0].startswith("maddpg-train: error: ") and "must be a" in lines[0], lines[0]
    assert dest.replace("_", "-") in lines[0] or flag_name(dest) in lines[0], lines[0]
    assert sorted(os.listdir(tmp_path)) == ["c.yaml"]


def _parses(dest, value):
    try:
        (int if RANGES[dest].kind == "int" else float)(value)
        return True
    except ValueError:
        return False


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _check_line(line, flag, shown):
    assert line.startswith("maddpg-train: error: "), line
    assert flag in line and "must be a" in line, line  # the flag and its range
    assert (" in " in line or "at least" in line or ">" in line or "finite" in line), line
    assert shown in line, line


def test_huge_update_every_and_learning_starts_name_themselves(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, lines = run_main(capsys, ["--update-every", str(10**12), "--buffer-size", "5000", "--batch-size", "8"])
    assert rc == 2 and lines == [
        "maddpg-train: error: --update-every must be a whole number in 1..5000 (--buffer-size: a round per more "
        "transitions than the replay holds would never see most of them), got 1000000000000; pass a value in that range"]
    rc, lines = run_main(capsys, ["--learning-starts", str(10**9)])
    assert rc == 2 and len(lines) == 1 and "--learning-starts must be a whole number in 0..1000000" in lines[0]
    assert "--batch-size x --max-episode-len" not in lines[0]


@pytest.mark.parametrize("argv,needle", [
    (["--learners", "1e23"], "argument --learners: must be a whole number in 1..1024"),
    (["--coded-scheme", "mds", "--stragglers", "1", "--straggler-delay", "inf"], "--straggler-delay must be a number in [0, 86400]"),
    (["--num-episodes", str(INT_MAX + 1)], "--num-episodes must be a whole number in 1..9223372036854775807"),
])
def test_through_a_process(argv, needle, tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    r = subprocess.run([sys.executable, str(ROOT / "experiments" / "train.py"), "--save-dir", str(tmp_path / "s"), *argv],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr
    assert r.stdout == "" and os.listdir(tmp_path) == []


def test_far_more_worlds_than_episodes_is_refused(tmp_path):
    """Issue 18: 40000 worlds for 100 episodes would step 39900 worlds for nothing (minutes)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    r = subprocess.run([sys.executable, str(ROOT / "experiments" / "train.py"), "--num-envs", "40000",
                        "--num-episodes", "100", "--save-dir", str(tmp_path / "s")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.splitlines() == [
        "maddpg-train: error: --num-envs 40000 steps 40000 worlds for only --num-episodes 100: all worlds' first "
        "episodes end together, so 39900 would be stepped for nothing; pass --num-envs 100 or fewer, or more "
        "--num-episodes"], r.stderr
    assert os.listdir(tmp_path) == []


def test_every_number_has_an_upper_bound_that_refuses_absurd_values():
    """Issue 27: floats without an upper bound took 1e30 silently (--gumbel-temp, --policy-regulariser).
    Every numeric row has one; its bound itself and the default are accepted, 1e30 is one line."""
    from maddpg_tf2.ranges import out_of_range

    values = {f: getattr(Config(), f) for f in Config.field_names()}
    for dest in NUMERIC:
        r = RANGES[dest]
        assert r.high is not None, f"{flag_name(dest)} has no upper bound in maddpg_tf2/ranges.py"
        high = values[r.high] if isinstance(r.high, str) else r.high
        assert out_of_range(dest, high, values) is None, dest
        assert out_of_range(dest, values.get(dest), values) is None, f"{dest}'s default is out of its range"
        absurd = 1e30 if r.kind == "float" else 10**30
        message = out_of_range(dest, absurd, values)
        assert message and message.startswith(flag_name(dest) + " must be ") and "\n" not in message, message
