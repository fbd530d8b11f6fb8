"""The original's `maddpg.common` helpers (tf_util, distributions) on TensorFlow 2, plus `layers`,
the stand-in for `tensorflow.contrib.layers` that model functions written for TF1 use."""
