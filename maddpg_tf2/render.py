"""Frames of the particle world as RGB arrays, and where they go: a window, a GIF or an MP4.

Drawing is a pure function over arrays so that the object-style `multiagent` environment and the
vectorised engine draw the same pictures. The camera follows the original MPE viewer: a square
window of half-width `cam_range` around `cam_center`, y pointing up, entities drawn in order
(agents first, then landmarks on top), agents half transparent.
"""
from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import sys
import zlib

import numpy as np

logger = logging.getLogger(__name__)

AGENT_ALPHA = 0.5  # the original draws agents at alpha 0.5 so overlaps stay visible
TEXT_COLOR = (0, 0, 0)
_NO_COLOR = (0.5, 0.5, 0.5)


def world_to_pixel(xy, cam_center=(0.0, 0.0), cam_range=1.0, width=700, height=700):
    """Pixel coordinates (column, row) of world points xy [..., 2] (row 0 at the top)."""
    xy = np.asarray(xy, dtype=np.float64)
    col = (xy[..., 0] - (cam_center[0] - cam_range)) * (width / (2.0 * cam_range))
    row = height - (xy[..., 1] - (cam_center[1] - cam_range)) * (height / (2.0 * cam_range))
    return np.stack([col, row], axis=-1)


def _rgb255(color):
    """A colour of any length (crypto's landmarks carry 4 values) and range as 8-bit RGB."""
    if color is None:
        color = _NO_COLOR
    c = np.clip(np.asarray(color, dtype=np.float64).ravel()[:3], 0.0, 1.0)
    c = np.pad(c, (0, 3 - len(c)))
    return tuple(int(round(v * 255)) for v in c)


def draw_frame(p_pos, size, color, is_agent, cam_center=(0.0, 0.0), cam_range=1.0, width=700, height=700,
               text_lines=()):
    """One picture of the world.

    p_pos [n, 2], size [n] (radii), color [n, >=3] in 0..1 (None rows allowed), is_agent [n] bool.
    text_lines: strings written at the top left (e.g. who says what). Returns uint8 [height, width, 3].
    """
    from PIL import Image, ImageDraw

    p_pos = np.asarray(p_pos, dtype=np.float64).reshape(-1, 2)
    size = np.asarray(size, dtype=np.float64).reshape(-1)
    is_agent = np.asarray(is_agent, dtype=bool).reshape(-1)
    centers = world_to_pixel(p_pos, cam_center, cam_range, width, height)
    scale = np.array([width, height]) / (2.0 * cam_range)
    image = Image.new('RGBA', (width, height), (255, 255, 255, 255))
    for i in range(len(p_pos)):
        if not np.all(np.isfinite(centers[i])):
            continue
        radius = size[i] * scale
        box = [centers[i][0] - radius[0], centers[i][1] - radius[1],
               centers[i][0] + radius[0], centers[i][1] + radius[1]]
        rgb = _rgb255(color[i])
        if is_agent[i]:
            # blend each agent on its own so overlapping agents mix as in the original
            layer = Image.new('RGBA', (width, height), (0, 0, 0, 0))
            ImageDraw.Draw(layer).ellipse(box, fill=rgb + (int(round(255 * AGENT_ALPHA)),))
            image = Image.alpha_composite(image, layer)
        else:
            ImageDraw.Draw(image).ellipse(box, fill=rgb + (255,))
    if text_lines:
        draw = ImageDraw.Draw(image)
        font, line_height = text_font(height)
        for k, line in enumerate(text_lines):
            draw.text((8, 8 + line_height * k), str(line), fill=TEXT_COLOR + (255,), font=font)
    return np.asarray(image.convert('RGB'), dtype=np.uint8)


def text_font(height: int):
    """A font readable on the frame (about 1/28 of its height) and its line spacing. Pillow >= 10.1
    scales its built-in font; older versions fall back to a DejaVu TrueType font if one is
    installed, else to the tiny bitmap default."""
    from PIL import ImageFont

    px = max(12, int(round(height / 28)))
    try:
        return ImageFont.load_default(size=px), int(px * 1.3)
    except TypeError:  # Pillow < 10.1: load_default takes no size
        pass
    for name in ("DejaVuSans.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, px), int(px * 1.3)
        except OSError:
            continue
    return ImageFont.load_default(), 14


VIDEO_EXTENSIONS = ('.mp4', '.m4v', '.mov', '.avi', '.mkv')


class AnimationRecorder:
    """Frames streamed into a GIF or an MP4 as they are drawn, one whole episode at a time.

    `add(frame)` encodes the frame at once (GIF: quantised and compressed; MP4: compressed until it
    goes to the video encoder) and `commit()` appends the frames added since the last commit to the
    file, so memory holds at most one uncommitted episode, however many episodes are recorded.
    Everything goes to a temporary file beside `path`: `finish()` renames it into place with the
    committed frames only (an episode cut short by Ctrl-C is left out), `discard()` removes it.
    """

    def __init__(self, path, fps=10):
        from maddpg_tf2 import fileio

        self.path = pathlib.Path(path)
        self.fps = fps
        ext = self.path.suffix.lower()
        if ext not in ('.gif',) + VIDEO_EXTENSIONS:
            raise ValueError('unsupported extension %r for %s (use .gif or .mp4)' % (ext, self.path))
        self._gif = ext == '.gif'
        if not self._gif:
            try:
                import imageio_ffmpeg  # noqa: F401  (imageio's video writer needs it)
            except ImportError:
                raise RuntimeError('writing %s needs the imageio-ffmpeg package (pip install imageio-ffmpeg); '
                                   'or save a .gif instead' % self.path) from None
        self.frames_written = 0
        self._pending = []  # the uncommitted frames, encoded (GIF) or compressed (MP4)
        self._shape = None
        self._gif_header = None
        self._writer = None
        self._atomic = fileio.atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        # imageio picks the video format from the extension, which the temporary name lacks
        self._target = self._tmp if self._gif else self._tmp + ext
        self._file = open(self._tmp, 'wb') if self._gif else None
        self._closed = False

    @property
    def pending_frames(self) -> int:
        """Frames added and not yet committed (the only ones held in memory)."""
        return len(self._pending)

    def add(self, frame) -> None:
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        self._pending.append(self._gif_frame(frame) if self._gif else (frame.shape, zlib.compress(frame, 1)))

    def _gif_frame(self, frame) -> bytes:
        """One frame as GIF blocks with its own colour table (Pillow's encoder, frame by frame)."""
        from PIL import GifImagePlugin, Image

        image = Image.fromarray(frame).convert('P', palette=Image.Palette.ADAPTIVE)
        if self._gif_header is None:  # the file's header: the screen size and "loop forever"
            self._gif_header = b''.join(GifImagePlugin.getheader(image, info={'loop': 0})[0])
        return b''.join(GifImagePlugin.getdata(image, duration=int(round(1000.0 / self.fps)),
                                               include_color_table=True))

    def commit(self) -> None:
        """The frames added since the last commit go to the file (they make whole episodes)."""
        if not self._pending:
            return
        if self._gif:
            if self.frames_written == 0:
                self._file.write(self._gif_header)
            self._file.write(b''.join(self._pending))
            self._file.flush()
        else:
            import imageio

            if self._writer is None:
                self._writer = imageio.v2.get_writer(self._target, fps=self.fps, macro_block_size=2)
            for shape, data in self._pending:
                frame = np.frombuffer(zlib.decompress(data), np.uint8).reshape(shape)
                # H.264 in yuv420p needs even sides: pad odd ones by repeating the edge instead of
                # letting imageio rescale every frame to a multiple of 16 (and warn about it).
                self._writer.append_data(np.pad(frame, ((0, shape[0] % 2), (0, shape[1] % 2), (0, 0)), mode='edge'))
        self.frames_written += len(self._pending)
        self._pending = []

    def finish(self) -> bool:
        """Close the file and put it in place, with the committed frames only; without any, write
        nothing and return False."""
        self._pending = []
        if self._closed:
            return False
        if self.frames_written == 0:
            self.discard()
            return False
        try:
            if self._gif:
                self._file.write(b';')  # the GIF trailer
                self._file.close()
            else:
                self._writer.close()
                os.replace(self._target, self._tmp)
        except BaseException as e:
            self.discard(e)
            raise
        self._closed = True
        self._atomic.__exit__(None, None, None)
        return True

    def discard(self, error: BaseException = None) -> None:
        """Close and remove the temporary file; nothing is written at `path`."""
        if self._closed:
            return
        self._closed = True
        error = error or RuntimeError('discarded')
        with contextlib.suppress(Exception):
            if self._file is not None:
                self._file.close()
            if self._writer is not None:
                self._writer.close()
        with contextlib.suppress(OSError):
            if self._target != self._tmp:
                os.remove(self._target)
        self._atomic.__exit__(type(error), error, None)  # removes the temporary file

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if kind is None:
            self.finish()
        else:
            self.discard(error)
        return False


def save_animation(frames, path, fps=10):
    """Write frames (uint8 [H, W, 3] each) as a GIF or an MP4, chosen by the path's extension,
    atomically and streamed (see AnimationRecorder)."""
    path = pathlib.Path(path)
    recorder = AnimationRecorder(path, fps)
    with recorder:
        for frame in frames:
            recorder.add(frame)
            recorder.commit()
        if recorder.frames_written == 0:
            raise ValueError('save_animation: no frames to write to %s' % path)
    return path


def has_display() -> bool:
    """Whether a window can be opened (macOS and Windows always; elsewhere an X or Wayland display)."""
    if sys.platform in ('darwin', 'win32'):
        return True
    return bool(os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


class Window:
    """Shows frames one after another in a real window (matplotlib, interactive mode)."""

    def __init__(self, title='maddpg-tf2'):
        self.title = title
        self._figure = None
        self._image = None

    @property
    def isopen(self):
        if self._figure is None:
            return False
        import matplotlib.pyplot as plt
        return plt.fignum_exists(self._figure.number)

    @property
    def closed_by_user(self) -> bool:
        """The window was opened and is gone: someone closed it."""
        return self._figure is not None and not self.isopen

    def show(self, frame) -> bool:
        """Draw the frame; False (and nothing drawn) once the user has closed the window."""
        import matplotlib.pyplot as plt

        if self.closed_by_user:
            return False
        if self._figure is None:
            plt.ion()
            self._figure, axes = plt.subplots(num=self.title)
            axes.set_axis_off()
            self._figure.subplots_adjust(0, 0, 1, 1)
            self._image = axes.imshow(frame)
        else:
            self._image.set_data(frame)
        self._figure.canvas.draw_idle()
        plt.pause(0.001)  # lets the GUI event loop draw
        return True

    def close(self):
        if self._figure is not None:
            import matplotlib.pyplot as plt
            plt.close(self._figure)
        self._figure = None
        self._image = None
