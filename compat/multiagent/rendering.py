"""The original's 2D rendering module (`multiagent.rendering`), drawn with PIL instead of OpenGL.

The same names and behaviour as the original's pyglet module: geometry (`make_circle`,
`make_polygon`, `make_polyline`, `make_capsule`, `Line`, `Point`, `Compound`, `Image`), attributes
(`Transform`, `Color`, `LineWidth`, `LineStyle`) and a `Viewer` with `set_bounds`, `add_geom`,
`add_onetime`, `draw_circle`, `draw_polygon`, `draw_polyline`, `draw_line`,
`render(return_rgb_array=...)`, `get_array` and `close`. Frames are RGB arrays drawn without a
display; a window (matplotlib) opens only when a display exists. Nothing here needs pyglet or OpenGL.

`Viewer.draw(world)` draws a particle world the way `MultiAgentEnv.render` shows it.
"""
import math

import numpy as np

from maddpg_tf2 import render
from multiagent.core import Agent

RAD2DEG = 57.29577951308232


class key(object):
    """Key codes as pyglet.window.key names them (what InteractivePolicy compares against)."""
    LEFT, UP, RIGHT, DOWN = 65361, 65362, 65363, 65364
    SPACE, ESCAPE, RETURN = 32, 65307, 65293


# matplotlib's names of the keys that have a pyglet code above
_MPL_KEYS = {'left': key.LEFT, 'right': key.RIGHT, 'up': key.UP, 'down': key.DOWN, ' ': key.SPACE,
             'escape': key.ESCAPE, 'enter': key.RETURN}


def get_display(spec):
    """The original turned ':0' into a pyglet Display; here windows go to the default display."""
    if spec is None or isinstance(spec, str):
        return spec
    raise ValueError('Invalid display specification: %r. (Must be a string like :0 or None.)' % (spec,))


def world_arrays(world):
    """Positions [n, 2], radii [n], colours and the agent mask of world.entities, for draw_frame."""
    entities = world.entities
    p_pos = np.array([e.state.p_pos if e.state.p_pos is not None else [np.nan, np.nan] for e in entities],
                     dtype=np.float64).reshape(len(entities), 2)
    size = np.array([e.size for e in entities], dtype=np.float64)
    color = [e.color for e in entities]
    # the original makes entities whose name contains 'agent' transparent
    is_agent = np.array([isinstance(e, Agent) or 'agent' in e.name for e in entities], dtype=bool)
    return p_pos, size, color, is_agent


class _Window(object):
    """What the original's `viewer.window` was to callers: a place for `on_key_press`,
    `on_key_release` and `on_close` handlers (pyglet style: handler(key_code, modifiers)). Key events
    reach them once a real window is open."""

    def __init__(self, title):
        self._window = render.Window(title)
        self.on_key_press = None
        self.on_key_release = None
        self.on_close = None
        self._connected = False

    @property
    def isopen(self):
        return self._window.isopen

    def show(self, frame):
        shown = self._window.show(frame)
        if shown and not self._connected:
            canvas = self._window._figure.canvas
            canvas.mpl_connect('key_press_event', lambda e: self._key(self.on_key_press, e))
            canvas.mpl_connect('key_release_event', lambda e: self._key(self.on_key_release, e))
            canvas.mpl_connect('close_event', lambda e: self.on_close and self.on_close())
            self._connected = True
        return shown

    @staticmethod
    def _key(handler, event):
        code = _MPL_KEYS.get(event.key)
        if handler is not None and code is not None:
            handler(code, 0)

    def close(self):
        self._window.close()

    # pyglet window calls that scripts make between frames; drawing happens in Viewer.render
    def dispatch_events(self):
        pass

    def switch_to(self):
        pass

    def clear(self):
        pass

    def flip(self):
        pass


class Viewer(object):
    """A camera (set_bounds) over geometry; `render` draws it as the original's viewer did."""

    def __init__(self, width=700, height=700, display=None):
        self.width = int(width)
        self.height = int(height)
        self.display = get_display(display)
        self.window = _Window('multiagent')
        self.window.on_close = self.window_closed_by_user
        self.geoms = []
        self.onetime_geoms = []
        self.transform = Transform()
        self.cam_center = (0.0, 0.0)
        self.cam_range = 1.0
        self.isopen = True
        self.last_frame = None  # the latest frame drawn, whatever the mode

    def close(self):
        self.window.close()
        self.isopen = False

    def window_closed_by_user(self):
        self.close()

    def set_bounds(self, left, right, bottom, top):
        assert right > left and top > bottom
        scalex = self.width / (right - left)
        scaley = self.height / (top - bottom)
        self.transform = Transform(translation=(-left * scalex, -bottom * scaley), scale=(scalex, scaley))
        # draw() keeps the world square, as every caller in MPE uses it
        self.cam_center = ((left + right) / 2.0, (bottom + top) / 2.0)
        self.cam_range = (right - left) / 2.0

    def add_geom(self, geom):
        self.geoms.append(geom)

    def add_onetime(self, geom):
        self.onetime_geoms.append(geom)

    # ----- frames
    def _paint(self, frame=None):
        """The geometry (permanent, then one-time) over `frame` (white when None), as uint8 RGB."""
        from PIL import Image
        if frame is None:
            image = Image.new('RGBA', (self.width, self.height), (255, 255, 255, 255))
        else:
            image = Image.fromarray(np.asarray(frame, dtype=np.uint8)).convert('RGBA')
        for geom in self.geoms + self.onetime_geoms:
            image = geom.paint(image, [self.transform], self.height)
        self.onetime_geoms = []
        return np.asarray(image.convert('RGB'), dtype=np.uint8)

    def _present(self, frame):
        self.last_frame = frame
        if render.has_display() and self.isopen:
            if not self.window.show(frame):
                self.isopen = False

    def render(self, return_rgb_array=False):
        """Draws the geometry; the frame as uint8 [height, width, 3] with return_rgb_array, else
        None (the original's return), after showing it when a display exists."""
        frame = self._paint()
        if return_rgb_array:
            self.last_frame = frame
            return frame
        self._present(frame)
        return None

    def get_array(self):
        return self._paint()

    def draw(self, world, text_lines=()):
        """A particle world (entities, then any geometry added to this viewer) as a uint8 frame."""
        p_pos, size, color, is_agent = world_arrays(world)
        frame = render.draw_frame(p_pos, size, color, is_agent, cam_center=self.cam_center,
                                  cam_range=self.cam_range, width=self.width, height=self.height,
                                  text_lines=text_lines)
        if self.geoms or self.onetime_geoms:
            frame = self._paint(frame)
        return frame

    def show(self, frame):
        self._present(frame)

    # ----- convenience, as the original's
    def draw_circle(self, radius=10, res=30, filled=True, **attrs):
        geom = make_circle(radius=radius, res=res, filled=filled)
        _add_attrs(geom, attrs)
        self.add_onetime(geom)
        return geom

    def draw_polygon(self, v, filled=True, **attrs):
        geom = make_polygon(v=v, filled=filled)
        _add_attrs(geom, attrs)
        self.add_onetime(geom)
        return geom

    def draw_polyline(self, v, **attrs):
        geom = make_polyline(v=v)
        _add_attrs(geom, attrs)
        self.add_onetime(geom)
        return geom

    def draw_line(self, start, end, **attrs):
        geom = Line(start, end)
        _add_attrs(geom, attrs)
        self.add_onetime(geom)
        return geom


def _add_attrs(geom, attrs):
    if 'color' in attrs:
        geom.set_color(*attrs['color'])
    if 'linewidth' in attrs:
        geom.set_linewidth(attrs['linewidth'])


# ----------------------------------------------------------------------------- attributes

class Attr(object):
    def enable(self):
        pass

    def disable(self):
        pass


class Transform(Attr):
    """v -> translation + rotation(scale * v), the order OpenGL applied them in the original."""

    def __init__(self, translation=(0.0, 0.0), rotation=0.0, scale=(1, 1)):
        self.set_translation(*translation)
        self.set_rotation(rotation)
        self.set_scale(*scale)

    def set_translation(self, newx, newy):
        self.translation = (float(newx), float(newy))

    def set_rotation(self, new):
        self.rotation = float(new)

    def set_scale(self, newx, newy):
        self.scale = (float(newx), float(newy))

    def apply(self, points):
        """points [k, 2] -> transformed [k, 2]."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2) * np.asarray(self.scale)
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        p = p @ np.array([[c, s], [-s, c]])
        return p + np.asarray(self.translation)


class Color(Attr):
    def __init__(self, vec4):
        self.vec4 = vec4


class LineStyle(Attr):
    """Kept for scripts that set it; lines are drawn solid."""

    def __init__(self, style):
        self.style = style


class LineWidth(Attr):
    def __init__(self, stroke):
        self.stroke = stroke


# ----------------------------------------------------------------------------- geometry

def _rgba(vec4, factor=1.0):
    r, g, b, a = (list(vec4) + [1.0])[:4] if len(vec4) == 3 else list(vec4)[:4]
    return tuple(int(round(255 * min(max(float(x) * factor, 0.0), 1.0))) for x in (r, g, b)) + \
        (int(round(255 * min(max(float(a) * factor, 0.0), 1.0))),)


class Geom(object):
    def __init__(self):
        self._color = Color((0, 0, 0, 1.0))
        self.attrs = [self._color]

    def add_attr(self, attr):
        self.attrs.append(attr)

    def set_color(self, r, g, b, alpha=1):
        self._color.vec4 = (r, g, b, alpha)

    def render(self):
        """The original drew with OpenGL here; draw through a Viewer instead."""
        raise RuntimeError('geometry is drawn by Viewer.render(); add it with viewer.add_geom(geom)')

    def _to_pixels(self, points, outer, height):
        """Own transforms first (in the order added), then the enclosing ones, then window pixels."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        for attr in self.attrs:
            if isinstance(attr, Transform):
                p = attr.apply(p)
        for t in outer:
            p = t.apply(p)
        return [(float(x), float(height - y)) for x, y in p]

    def paint(self, image, outer, height):
        """Draws this geometry on the RGBA image; `outer` are the enclosing transforms, innermost
        first. Returns the image (a new one where alpha blending was needed)."""
        from PIL import Image, ImageDraw
        layer = Image.new('RGBA', image.size, (0, 0, 0, 0))
        self.paint1(ImageDraw.Draw(layer), outer, height)
        return Image.alpha_composite(image, layer)

    def paint1(self, draw, outer, height):
        raise NotImplementedError

    def _width(self):
        lw = [a for a in self.attrs if isinstance(a, LineWidth)]
        return max(1, int(round(lw[-1].stroke))) if lw else 1


class Point(Geom):
    def paint1(self, draw, outer, height):
        draw.point(self._to_pixels([(0.0, 0.0)], outer, height), fill=_rgba(self._color.vec4))


class FilledPolygon(Geom):
    def __init__(self, v):
        Geom.__init__(self)
        self.v = v

    def paint1(self, draw, outer, height):
        pts = self._to_pixels(self.v, outer, height)
        if len(pts) >= 2:
            # filled in the colour, outlined at half colour and half alpha, as the original
            draw.polygon(pts, fill=_rgba(self._color.vec4), outline=_rgba(self._color.vec4, 0.5))


class PolyLine(Geom):
    def __init__(self, v, close):
        Geom.__init__(self)
        self.v = v
        self.close = close
        self.linewidth = LineWidth(1)
        self.add_attr(self.linewidth)

    def set_linewidth(self, x):
        self.linewidth.stroke = x

    def paint1(self, draw, outer, height):
        pts = self._to_pixels(self.v, outer, height)
        if self.close and pts:
            pts = pts + pts[:1]
        if len(pts) >= 2:
            draw.line(pts, fill=_rgba(self._color.vec4), width=self._width())


class Line(Geom):
    def __init__(self, start=(0.0, 0.0), end=(0.0, 0.0)):
        Geom.__init__(self)
        self.start = start
        self.end = end
        self.linewidth = LineWidth(1)
        self.add_attr(self.linewidth)

    def set_linewidth(self, x):
        self.linewidth.stroke = x

    def paint1(self, draw, outer, height):
        draw.line(self._to_pixels([self.start, self.end], outer, height), fill=_rgba(self._color.vec4),
                  width=self._width())


class Compound(Geom):
    """Several geometries drawn as one: the parts lose their own colour (as in the original) and
    take the compound's."""

    def __init__(self, gs):
        Geom.__init__(self)
        self.gs = gs
        for g in self.gs:
            g.attrs = [a for a in g.attrs if not isinstance(a, Color)]

    def paint(self, image, outer, height):
        mine = [a for a in self.attrs if isinstance(a, Transform)]
        for g in self.gs:
            g._color = self._color  # parts lost their own colour: they take the compound's
            image = g.paint(image, mine + list(outer), height)
        return image


class Image(Geom):
    """An image file drawn centred, width x height in geometry units."""

    def __init__(self, fname, width, height):
        Geom.__init__(self)
        from PIL import Image as PILImage
        self.width = width
        self.height = height
        self.img = PILImage.open(fname).convert('RGBA')
        self.flip = False

    def paint(self, image, outer, height):
        corners = self._to_pixels([(-self.width / 2, -self.height / 2), (self.width / 2, self.height / 2)],
                                  outer, height)
        (x0, y0), (x1, y1) = corners
        left, top = int(round(min(x0, x1))), int(round(min(y0, y1)))
        size = (max(1, int(round(abs(x1 - x0)))), max(1, int(round(abs(y1 - y0)))))
        out = image.copy()
        picture = self.img.resize(size)
        out.alpha_composite(picture, dest=(max(left, 0), max(top, 0)),
                            source=(max(-left, 0), max(-top, 0)))
        return out


def make_circle(radius=10, res=30, filled=True):
    points = [(math.cos(2 * math.pi * i / res) * radius, math.sin(2 * math.pi * i / res) * radius)
              for i in range(res)]
    return FilledPolygon(points) if filled else PolyLine(points, True)


def make_polygon(v, filled=True):
    return FilledPolygon(v) if filled else PolyLine(v, True)


def make_polyline(v):
    return PolyLine(v, False)


def make_capsule(length, width):
    l, r, t, b = 0, length, width / 2, -width / 2
    box = make_polygon([(l, b), (l, t), (r, t), (r, b)])
    circ0 = make_circle(width / 2)
    circ1 = make_circle(width / 2)
    circ1.add_attr(Transform(translation=(length, 0)))
    return Compound([box, circ0, circ1])


class SimpleImageViewer(object):
    """Shows RGB arrays one after another (in a window when a display exists)."""

    def __init__(self, display=None):
        self.window = None
        self.isopen = False
        self.display = display
        self.last_frame = None

    def imshow(self, arr):
        arr = np.asarray(arr, dtype=np.uint8)
        assert arr.ndim == 3 and arr.shape[2] == 3, 'You passed in an image with the wrong number shape'
        if self.window is None:
            self.window = _Window('multiagent')
            self.isopen = True
        self.last_frame = arr
        if render.has_display():
            self.window.show(arr)

    def close(self):
        if self.isopen:
            self.window.close()
            self.isopen = False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
