"""Every error the project raises to users: bad input or state they can fix.

The command lines report a `UserError` (any class below) as one line naming the problem and the
fix, without a traceback (`--debug` shows it). This module is the ground floor: it imports nothing
from the project, so any module can raise these errors without pulling in another floor; the
modules that raise them re-export the names their users import from them.
"""
from __future__ import annotations


class UserError(Exception):
    """Bad input or state the user can fix; the message names the problem and the fix."""


class UsageError(UserError):
    """A command-line flag or config-file value that cannot be used (maddpg_tf2.cli)."""


class CheckpointError(UserError):
    """A checkpoint is missing, unreadable, foreign or does not fit the model being loaded."""


class SaveError(UserError):
    """A checkpoint could not be written (disk full, permissions): its partial files are removed and
    the previous checkpoint stays the latest, intact."""


class UnknownScenarioError(UserError, ValueError):
    """The scenario is neither a built-in name nor an existing scenario file (maddpg_tf2.envs)."""


class ScenarioError(UserError, ValueError):
    """An unknown scenario name, or a scenario file that cannot be used (the original's
    `multiagent.scenarios.load`)."""


class ScenarioCodeError(UserError):
    """A function of the user's scenario file raised: one line naming the file, the function, the
    line and the error (the chained exception keeps the traceback for --debug)."""


class MissingExtraError(UserError):
    """An optional package is not installed."""


class NonFiniteError(UserError):
    """A loss or a weight became NaN or infinite: training stops, the last finite checkpoint stays."""


class CurveFileError(UserError):
    """A rewards pickle that is missing, unreadable or not a flat list of numbers (maddpg-plot)."""


class UntrustedPickleError(UserError):
    """A pickle that holds something other than data (lists, dicts, numbers, strings, numpy arrays):
    it is refused unopened, since unpickling anything else can run code (`fileio.read_data_pickle`)."""


class TF1NameError(UserError):
    """A TensorFlow 1 name a script run by the TF1 launcher (`python -m maddpg.tf1`) uses and the
    launcher does not provide."""


def user_errors() -> tuple:
    """The exception types that mean bad user input (every one a UserError)."""
    return (UserError,)
