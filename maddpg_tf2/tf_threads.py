"""TensorFlow's thread pools for the train step.

The update round is a chain of small ops (matrices of 1024 x 64): splitting one op over threads costs
more in synchronisation than it gains, while two ops that do not depend on each other (the target
actors of different agents, say) can run side by side. One thread per op and two inter-op threads
made the simple_spread round about 20% shorter than TensorFlow's defaults on the 2-core machine
(benchmarks/RESULTS.md). 0 leaves TensorFlow's own choice.
"""
from __future__ import annotations


def configure_tf_threads(intra_op: int, inter_op: int) -> bool:
    """Set the pools if TensorFlow's runtime has not started yet; True when the settings hold.

    TensorFlow fixes its pools when it runs its first op; after that they cannot change (a process
    that already ran TensorFlow keeps what it has, and this returns whether that matches)."""
    import tensorflow as tf

    threading = tf.config.threading
    try:
        threading.set_intra_op_parallelism_threads(int(intra_op))
        threading.set_inter_op_parallelism_threads(int(inter_op))
    except RuntimeError:
        pass
    return (threading.get_intra_op_parallelism_threads() == int(intra_op)
            and threading.get_inter_op_parallelism_threads() == int(inter_op))
