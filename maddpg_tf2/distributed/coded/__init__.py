"""Coded distributed training (Wang, Xie, Atanasov 2021): code matrices (codes.py), learner actors
(learners.py) and the controller that plugs into the training loop as its updater (controller.py;
the loop picks it: loop.make_updater).

Importing this package loads neither Ray nor TensorFlow.
"""

