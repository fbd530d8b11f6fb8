"""The original's `maddpg.common` helpers (tf_util, distributions) on TensorFlow 2, plus `layers`,
the stand-in for `tensorflow.contrib.layers` that model functions written for TF1 use."""
import os as _os

import maddpg as _package

# A user's `maddpg/common/` folder without an `__init__.py` joins this one (see maddpg/__init__.py).
__path__ = _package.merged_path(__name__, _os.path.dirname(__file__), _package.__path__)
