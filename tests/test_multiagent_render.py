"""Rendering: frames as arrays without a display, the original's camera, colours where they belong, and
a real window on a virtual screen (Xvfb) where one can be started."""
import importlib.util
import logging
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from maddpg_tf2 import render
from multiagent import scenarios
from multiagent.environment import MultiAgentEnv


def _env(name, **kwargs):
    scenario = scenarios.load(name).Scenario()
    np.random.seed(0)
    world = scenario.make_world()
    return MultiAgentEnv(world, scenario.reset_world, scenario.reward, scenario.observation, **kwargs)


def _simple_env_at(agent_xy, landmark_xy, **kwargs):
    env = _env('simple', **kwargs)
    env.world.agents[0].state.p_pos = np.array(agent_xy)
    env.world.landmarks[0].state.p_pos = np.array(landmark_xy)
    return env


def test_rgb_array_frame_colours_at_projected_pixels(tmp_path):
    env = _simple_env_at([0.5, 0.5], [-0.5, -0.5])
    frames = env.render('rgb_array')
    assert len(frames) == 1
    frame = frames[0]
    assert frame.shape == (700, 700, 3) and frame.dtype == np.uint8
    path = tmp_path / 'frame.png'
    Image.fromarray(frame).save(path)
    saved = np.asarray(Image.open(path).convert('RGB'))
    np.testing.assert_array_equal(saved, frame)
    assert (saved != 255).any(), 'frame is blank'
    # camera: range 1 around the origin, y up -> (x, y) maps to column (x+1)*350, row 700-(y+1)*350
    agent_rgb = 0.5 * np.round(np.array([0.25, 0.25, 0.25]) * 255) + 0.5 * 255  # alpha 0.5 on white
    np.testing.assert_allclose(saved[175, 525], agent_rgb, atol=2)
    np.testing.assert_array_equal(saved[525, 175], np.round(np.array([0.75, 0.25, 0.25]) * 255))
    np.testing.assert_array_equal(saved[10, 690], [255, 255, 255])


def test_per_agent_viewers_centre_on_their_agent():
    env = _env('simple_spread', shared_viewer=False)
    env.reset()
    frames = env.render('rgb_array')
    assert len(frames) == 3
    for frame, agent in zip(frames, env.world.agents):
        assert frame[350, 350].tolist() != [255, 255, 255]
        # the agent's translucent colour (maybe over another agent), never a plain background
        assert frame[350, 350, 2] > frame[350, 350, 0]


def test_human_mode_without_display_returns_none_per_viewer_and_warns_once(monkeypatch, caplog):
    monkeypatch.setattr(render, 'has_display', lambda: False)
    env = _env('simple')
    env.reset()
    with caplog.at_level(logging.WARNING, logger='multiagent.environment'):
        first = env.render('human')
        second = env.render()
    assert first == [None] and second == [None]  # the original's return in human mode
    assert env.viewers[0].last_frame.shape == (700, 700, 3)  # the frame is still drawn and kept
    assert sum('no display' in r.getMessage() for r in caplog.records) == 1


def test_comm_messages_are_printed_in_human_mode_and_drawn(monkeypatch, capsys):
    monkeypatch.setattr(render, 'has_display', lambda: False)
    env = _env('simple_speaker_listener')
    env.reset()
    quiet = env.render('rgb_array')[0]
    env.step([np.array([0.0, 0.0, 1.0]), np.eye(5)[0]])
    assert env._comm_lines() == ['agent 0 to agent 1: C']
    assert env.render('human') == [None]
    talking = env.viewers[0].last_frame
    assert 'agent 0 to agent 1: C' in capsys.readouterr().out
    # the text sits at the top left of the frame
    assert (talking[:40, :350] != quiet[:40, :350]).any()


def test_draw_frame_handles_odd_colours_and_text():
    frame = render.draw_frame([[0.0, 0.0], [0.5, 0.0]], [0.1, 0.1], [[1.1, 0.6, 0.6], [1, 0, 0, 0]],
                              [True, False], width=100, height=80, text_lines=('hello',))
    assert frame.shape == (80, 100, 3)
    np.testing.assert_array_equal(frame[40, 75], [255, 0, 0])


def test_save_animation_gif_and_missing_ffmpeg(tmp_path, monkeypatch):
    import imageio
    import sys

    frames = [np.full((20, 30, 3), v, dtype=np.uint8) for v in (0, 128, 255)]
    path = render.save_animation(frames, tmp_path / 'anim.gif', fps=5)
    assert len(imageio.v3.imread(path, index=None)) == 3
    monkeypatch.setitem(sys.modules, 'imageio_ffmpeg', None)
    with pytest.raises(RuntimeError, match=r'imageio-ffmpeg.*\.gif'):
        render.save_animation(frames, tmp_path / 'anim.mp4')
    with pytest.raises(ValueError, match='extension'):
        render.save_animation(frames, tmp_path / 'anim.xyz')


def test_save_animation_mp4_keeps_frames_and_pads_odd_sides(tmp_path):
    pytest.importorskip('imageio_ffmpeg')
    import imageio

    frames = [np.full((21, 30, 3), v, dtype=np.uint8) for v in (0, 128, 255)]
    video = imageio.v3.imread(render.save_animation(frames, tmp_path / 'anim.mp4', fps=5), index=None)
    assert video.shape == (3, 22, 30, 3)  # odd height padded by one row, not rescaled
    np.testing.assert_allclose(video[:, 10, 10, 0], [0, 128, 255], atol=3)  # lossy codec


def test_window_stays_closed_once_the_user_closes_it():
    import matplotlib.pyplot as plt

    window = render.Window('test')
    frame = np.zeros((10, 12, 3), np.uint8)
    assert window.show(frame) and window.isopen and not window.closed_by_user
    plt.close(window._figure)  # what the window manager does when the user closes it
    assert window.closed_by_user
    assert window.show(frame) is False and not window.isopen  # not reopened
    window.close()
    assert not window.closed_by_user


def _start_virtual_display():
    """An Xvfb display for a real window, or None where Xvfb or Tk is missing."""
    import shutil
    import subprocess
    import time

    if shutil.which('Xvfb') is None or importlib.util.find_spec('tkinter') is None:
        return None, None
    for number in range(90, 100):
        if os.path.exists('/tmp/.X11-unix/X%d' % number) or os.path.exists('/tmp/.X%d-lock' % number):
            continue
        proc = subprocess.Popen(['Xvfb', ':%d' % number, '-screen', '0', '800x600x24'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if os.path.exists('/tmp/.X11-unix/X%d' % number):
                return ':%d' % number, proc
            time.sleep(0.1)
        proc.kill()
    return None, None


def test_display_opens_a_real_window_on_a_virtual_screen(tmp_path):
    """--display with a display: a Tk window shows the episodes and no animation file is written."""
    import subprocess
    import sys

    display, xvfb = _start_virtual_display()
    if display is None:
        pytest.skip('needs Xvfb and Tk for a real window')
    try:
        train = pathlib.Path(__file__).resolve().parents[1] / 'experiments' / 'train.py'
        common = ['--scenario', 'simple', '--max-episode-len', '5', '--batch-size', '8', '--quiet',
                  '--save-dir', str(tmp_path / 's'), '--plots-dir', str(tmp_path / 'p'), '--exp-name', 'w']
        env = dict(os.environ, DISPLAY=display)
        env.pop('MPLBACKEND', None)  # let matplotlib pick its GUI backend, as a user's session would
        subprocess.run([sys.executable, str(train), '--num-episodes', '2', '--save-rate', '1', *common],
                       env=env, check=True, capture_output=True, timeout=180)
        probe = ('import matplotlib.pyplot as plt; from maddpg_tf2 import render; w = render.Window(); '
                 'import numpy as np; w.show(np.zeros((8, 8, 3), np.uint8)); '
                 'print(type(w._figure.canvas).__name__, w._figure.canvas.manager.window.winfo_viewable())')
        out = subprocess.run([sys.executable, '-c', probe], env=env, check=True, capture_output=True,
                             text=True, timeout=120).stdout.split()
        assert out == ['FigureCanvasTkAgg', '1']
        r = subprocess.run([sys.executable, str(train), '--display', '--display-episodes', '1', *common],
                           env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        assert 'wrote' not in r.stdout and not list((tmp_path / 'p').glob('*display*'))
    finally:
        xvfb.kill()


def test_communication_text_is_legible_size():
    # The text must be large enough to read on a default 700 px frame: glyphs at least 14 px tall
    # (PIL's old bitmap default drew about 8 px, nearly invisible once the frame is scaled down).
    frame = render.draw_frame(np.zeros((0, 2)), [], [], [], width=700, height=700,
                              text_lines=('agent 0 to agent 1: C',))
    dark_rows = np.flatnonzero((frame[:100] < 128).all(axis=2).any(axis=1))
    assert dark_rows.size and dark_rows[-1] - dark_rows[0] + 1 >= 14
