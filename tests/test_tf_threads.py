"""TensorFlow's thread pools are set before its runtime starts, and reported honestly after."""
import subprocess
import sys
import textwrap


def test_threads_are_set_before_the_first_op_and_fixed_after():
    # A fresh process: this test process started TensorFlow long ago.
    code = textwrap.dedent("""
        from maddpg_tf2.quiet_import import import_tensorflow_quietly
        import_tensorflow_quietly()  # must not start the runtime
        import tensorflow as tf
        from maddpg_tf2.tf_threads import configure_tf_threads
        print(configure_tf_threads(1, 2))
        print(tf.config.threading.get_intra_op_parallelism_threads(),
              tf.config.threading.get_inter_op_parallelism_threads())
        tf.constant(1.0) + 1.0  # the runtime starts: the pools are fixed from here on
        print(configure_tf_threads(1, 2), configure_tf_threads(2, 2))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "1", "2", "True", "False"]
