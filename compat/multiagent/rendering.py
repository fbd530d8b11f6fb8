"""Rendering of a particle world (the original's module name), on maddpg_tf2.render.

The original drew with pyglet/OpenGL; here frames are RGB arrays drawn with PIL, shown in a window
only when a display exists.
"""
import numpy as np

from maddpg_tf2 import render
from multiagent.core import Agent


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


class Viewer(object):
    """A camera on the world (set_bounds as the original) that draws frames and, if asked, shows them."""

    def __init__(self, width=700, height=700):
        self.width = width
        self.height = height
        self.cam_center = (0.0, 0.0)
        self.cam_range = 1.0
        self._window = None

    def set_bounds(self, left, right, bottom, top):
        # the viewer is square: one range for both axes, as every caller in MPE uses
        self.cam_center = ((left + right) / 2.0, (bottom + top) / 2.0)
        self.cam_range = (right - left) / 2.0

    def draw(self, world, text_lines=()):
        """The world as a uint8 [height, width, 3] frame."""
        p_pos, size, color, is_agent = world_arrays(world)
        return render.draw_frame(p_pos, size, color, is_agent, cam_center=self.cam_center,
                                 cam_range=self.cam_range, width=self.width, height=self.height,
                                 text_lines=text_lines)

    def show(self, frame):
        if self._window is None:
            self._window = render.Window('multiagent')
        self._window.show(frame)

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None
