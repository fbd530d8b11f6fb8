import os as _os

import maddpg.common  # noqa: F401  (first: under an editable install it makes `maddpg` this package)
import maddpg as _package

# A user's `maddpg/trainer/` folder without an `__init__.py` joins this one (see maddpg/__init__.py).
__path__ = _package.merged_path(__name__, _os.path.dirname(__file__), _package.__path__)
