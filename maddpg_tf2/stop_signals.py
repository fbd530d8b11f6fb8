"""Ctrl-C and SIGTERM as a request to stop at the next safe point, for the loops that run a policy.

The training loop and the display check the request once per step, so that a stop never lands inside
a checkpoint or an animation write; a second signal stops at once (KeyboardInterrupt).
"""
from __future__ import annotations

import signal


def install_stop_handlers() -> dict:
    """SIGINT and SIGTERM set state['signal']; a second one raises KeyboardInterrupt (stop now).

    Installed even where the process started with SIGINT ignored (a job started in the background
    of a script), so that a signal sent on purpose is still a stop."""
    state = {"signal": None, "previous": {}}

    def on_signal(signum, frame):
        if state["signal"] is not None:
            raise KeyboardInterrupt
        state["signal"] = signum

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            state["previous"][sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread: Ctrl-C keeps its default KeyboardInterrupt
            pass
    return state


def restore_handlers(state: dict) -> None:
    """Put back the handlers install_stop_handlers replaced."""
    for sig, previous in state["previous"].items():
        signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
    state["previous"] = {}


def exit_code(state: dict) -> int:
    """130 for Ctrl-C, 143 for SIGTERM, as a shell reports them."""
    return 143 if state.get("signal") == signal.SIGTERM else 130
