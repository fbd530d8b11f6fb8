"""Errors caused by the user's input, which the command line reports as one line, no traceback."""
from __future__ import annotations


class UserError(Exception):
    """Bad input or state the user can fix; the message names the problem and the fix."""


class CheckpointError(UserError):
    """A checkpoint is missing, unreadable, foreign or does not fit the model being loaded."""


class SaveError(UserError):
    """A checkpoint could not be written (disk full, permissions): its partial files are removed and
    the previous checkpoint stays the latest, intact."""


def user_errors() -> tuple:
    """Every library exception type that means bad user input (imported lazily: they live in the
    modules that raise them)."""
    from maddpg_tf2.envs.make import UnknownScenarioError
    from multiagent.scenarios import ScenarioError

    return (UserError, CheckpointError, UnknownScenarioError, ScenarioError)
