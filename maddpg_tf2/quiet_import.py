"""Import TensorFlow without its C++ start-up notes on the terminal.

TensorFlow 2.2x writes oneDNN, CPU-feature and CUDA-probe messages straight to file descriptor 2
before any Python-side setting (TF_CPP_MIN_LOG_LEVEL included) can silence them; they would bury
the original's stdout lines and the progress bar. The messages are held back, and shown after all
if the import fails.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile


@contextlib.contextmanager
def _ctrl_c_deferred():
    """Ctrl-C during an import is held until the import ends, then raised as KeyboardInterrupt.

    Raised inside TensorFlow's import it can land in a class body's __set_name__, where Python wraps
    it in a RuntimeError: a traceback instead of the one-line stop, and half-imported modules."""
    caught = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules or os.environ.get("MADDPG_TF2_VERBOSE_TF"):
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with _ctrl_c_deferred(), tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow as tf
            import tensorflow_probability  # noqa: F401  (registers its own start-up messages)

            tf.config.list_physical_devices()  # device discovery (the CUDA probe), no runtime started
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
