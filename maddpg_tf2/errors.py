"""Errors caused by the user's input, which the command line reports as one line, no traceback."""
from __future__ import annotations


class UserError(Exception):
    """Bad input or state the user can fix; the message names the problem and the fix."""


class CheckpointError(UserError):
    """A checkpoint is missing, unreadable, foreign or does not fit the model being loaded."""


def user_errors() -> tuple:
    """Every library exception type that means bad user input (imported lazily: they live in the
    modules that raise them)."""
    from maddpg_tf2.envs.make import UnknownScenarioError
    from multiagent.scenarios import ScenarioError

    return (UserError, CheckpointError, UnknownScenarioError, ScenarioError)


class TF1NameError(UserError):
    """A TensorFlow 1 name a script run by the TF1 launcher (`python -m maddpg.tf1`) uses and the
    launcher does not provide."""
