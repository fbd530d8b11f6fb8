import os
import pickle

import numpy as np
import pytest

from maddpg_tf2.plot import load_curve, main, plot_curves, smooth

PNG = b"\x89PNG\r\n\x1a\n"


def write_pkl(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f)
    return str(path)


def test_two_runs_one_png(tmp_path, capsys):
    a = write_pkl(tmp_path / "a_rewards.pkl", [np.float64(-30.0), -20.0, -15.0])
    b = write_pkl(tmp_path / "b_rewards.pkl", [-25.0, -18.0])
    out = tmp_path / "both.png"
    assert main([a, b, "-o", str(out), "--save-rate", "500", "--smooth", "2",
                 "--labels", "maddpg", "ddpg"]) == 0
    assert out.read_bytes()[:8] == PNG
    assert capsys.readouterr().out.strip() == str(out)


def test_default_output_beside_a_single_input_keeps_the_training_png(tmp_path, capsys):
    a = write_pkl(tmp_path / "spread_rewards.pkl", [-30.0])
    (tmp_path / "spread_curve.png").write_bytes(b"training's own plot")
    assert main([a]) == 0
    assert (tmp_path / "spread_plot.png").read_bytes()[:8] == PNG
    assert (tmp_path / "spread_curve.png").read_bytes() == b"training's own plot"


def test_agent_rewards_file_is_refused(tmp_path, capsys):
    a = write_pkl(tmp_path / "spread_agrewards.pkl", [-10.0, -11.0, -12.0])
    assert main([a, "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "per-agent file" in err[0] and "_rewards.pkl" in err[0]
    assert not os.path.exists(tmp_path / "x.png")


def test_output_format_follows_the_extension(tmp_path, capsys):
    a = write_pkl(tmp_path / "a_rewards.pkl", [-3.0, -2.0])
    assert main([a, "-o", str(tmp_path / "out.jpg")]) == 0
    assert (tmp_path / "out.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG's start-of-image marker
    assert main([a, "-o", str(tmp_path / "out.pdf")]) == 0
    assert (tmp_path / "out.pdf").read_bytes()[:5] == b"%PDF-"
    assert main([a, "-o", str(tmp_path / "out.bmpx")]) == 2
    assert "unknown image extension" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "out.bmpx")


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"),
    (b"not a pickle", "cannot read"),
    ({"a": 1}, "expected a list"),
    (["x", 1.0], "expected numbers"),
    ([], "empty"),
])
def test_bad_file_exits_2_with_message(tmp_path, capsys, content, needle):
    path = tmp_path / "bad_rewards.pkl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        write_pkl(path, content)
    assert main([str(path), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "maddpg-plot: error:" in err and needle in err and "bad_rewards.pkl" in err
    assert not os.path.exists(tmp_path / "x.png")


def test_label_count_mismatch_exits_2(tmp_path, capsys):
    a = write_pkl(tmp_path / "a_rewards.pkl", [1.0])
    assert main([a, "--labels", "x", "y"]) == 2
    assert "labels" in capsys.readouterr().err


def test_smooth_is_a_trailing_mean_keeping_length():
    assert np.allclose(smooth([1, 3, 5, 7], 2), [1, 2, 4, 6])
    assert np.allclose(smooth([1, 3], 1), [1, 3])


def test_plot_curves_and_load_curve(tmp_path):
    path = plot_curves({"r": [1.0, 2.0]}, 1000, tmp_path / "sub" / "c.png", title="t")
    assert open(path, "rb").read(8) == PNG
    assert load_curve(write_pkl(tmp_path / "x.pkl", np.array([1.0, 2.0]))) == [1.0, 2.0]
