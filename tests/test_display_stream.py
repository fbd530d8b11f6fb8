"""Headless --display streams its animation (issue 27, item 3): frames go to the GIF/MP4 writer as
they are drawn, one whole episode at a time, so memory stays flat in the number of episodes; Ctrl-C
keeps the whole episodes recorded so far, atomically, in one line, exit 130."""
import os
import pathlib
import signal
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from maddpg_tf2 import render

ROOT = pathlib.Path(__file__).resolve().parents[1]


def frame(k, h=60, w=80):
    f = np.full((h, w, 3), 255, np.uint8)
    f[k % h, :, :] = (30 * (k % 8), 90, 200)  # a line that moves: no two neighbouring frames alike
    return f


def gif_frames(path):
    from PIL import Image, ImageSequence
    with Image.open(path) as gif:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]


def test_recorder_writes_whole_episodes_only_and_atomically(tmp_path):
    path = tmp_path / "a.gif"
    recorder = render.AnimationRecorder(path, fps=10)
    sizes = []
    for episode in range(3):
        for step in range(4):
            recorder.add(frame(4 * episode + step))
        assert recorder.pending_frames == 4
        recorder.commit()
        assert recorder.pending_frames == 0 and recorder.frames_written == 4 * (episode + 1)
        sizes.append(sum(p.stat().st_size for p in tmp_path.iterdir()))
    assert sizes[0] < sizes[1] < sizes[2]  # each episode went to the file as it ended
    assert not path.exists()  # not in place before it is finished
    recorder.add(frame(12))  # an episode cut short: left out
    assert recorder.finish()
    assert os.listdir(tmp_path) == ["a.gif"]
    got = gif_frames(path)
    assert len(got) == 12
    for k, f in enumerate(got):
        np.testing.assert_array_equal(f, frame(k))  # a palette of its own per frame: exact colours
    # nothing committed: nothing written, no temporary file left
    empty = render.AnimationRecorder(tmp_path / "b.gif")
    empty.add(frame(0))
    assert not empty.finish() and os.listdir(tmp_path) == ["a.gif"]


def test_recorder_memory_stays_flat_in_the_number_of_episodes(tmp_path):
    """Peak memory while recording 120 frames of 300x300 (32 MB if kept) stays below a few frames."""
    frame_bytes = 300 * 300 * 3
    recorder = render.AnimationRecorder(tmp_path / "m.gif")
    tracemalloc.start()
    try:
        for episode in range(24):
            for step in range(5):
                recorder.add(frame(5 * episode + step, 300, 300))
            recorder.commit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    recorder.finish()
    assert peak < 8 * frame_bytes, peak / frame_bytes
    assert len(gif_frames(tmp_path / "m.gif")) == 120


def test_recorder_mp4_keeps_whole_episodes(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    import imageio

    recorder = render.AnimationRecorder(tmp_path / "v.mp4", fps=10)
    for k in range(6):
        recorder.add(frame(k, 21, 30))
    recorder.commit()
    recorder.add(frame(6, 21, 30))  # cut short
    assert recorder.finish()
    video = imageio.v3.imread(tmp_path / "v.mp4", index=None)
    assert video.shape == (6, 22, 30, 3)  # odd height padded
    assert os.listdir(tmp_path) == ["v.mp4"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from maddpg_tf2.cli import main

    tmp = tmp_path_factory.mktemp("display")
    out = ["--save-dir", tmp / "s", "--plots-dir", tmp / "p", "--benchmark-dir", tmp / "b", "--exp-name", "d",
           "--max-episode-len", 5, "--batch-size", 8, "--num-units", 8, "--quiet"]
    assert main([str(a) for a in ["--scenario", "simple", "--num-episodes", 1, "--save-rate", 1, "--num-envs", 1,
                                  *out]]) == 0
    return tmp, [str(a) for a in out]


def test_display_feeds_the_recorder_per_frame_and_commits_per_episode(checkpoint, monkeypatch, capsys):
    from maddpg_tf2.cli import main

    tmp, out = checkpoint
    seen = []

    class Spy(render.AnimationRecorder):
        def commit(self):
            seen.append(self.pending_frames)
            super().commit()

    monkeypatch.setattr(render, "AnimationRecorder", Spy)
    assert main(["--scenario", "simple", "--display", "--display-episodes", "4", *out]) == 0
    assert seen == [5, 5, 5, 5]  # never more than one episode held
    assert "wrote 4 episodes (20 frames)" in capsys.readouterr().out


def test_ctrl_c_from_outside_keeps_the_whole_episodes(checkpoint):
    """A real SIGINT from another process, to a display started with SIGINT ignored (as a job started
    in the background of a script is): it still stops, keeps whole episodes, says so in one line."""
    tmp, out = checkpoint
    plots = tmp / "p"
    for f in plots.glob("*display*"):
        f.unlink()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "compat")]))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen([sys.executable, str(ROOT / "experiments" / "train.py"), "--scenario", "simple",
                             "--display", "--display-episodes", "100000", *out], cwd=tmp, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:  # until two episodes are in the file
            temporaries = [f for f in plots.glob(".d_display.gif.*.tmp")]
            if temporaries and temporaries[0].stat().st_size > 0:
                time.sleep(0.3)
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    gif = plots / "d_display.gif"
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 130, err
    assert len(lines) == 1 and lines[0].startswith("maddpg-train: stopped: interrupted; wrote the ") and \
        lines[0].endswith(f" to {gif}"), err
    episodes = int(lines[0].split("wrote the ")[1].split()[0])
    assert episodes >= 1 and f"({5 * episodes} frames)" in lines[0]
    assert len(gif_frames(gif)) == 5 * episodes  # whole episodes of 5 steps
    assert sorted(f.name for f in plots.iterdir() if "display" in f.name) == ["d_display.gif"]
