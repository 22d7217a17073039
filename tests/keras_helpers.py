"""Tiny models, data and callbacks shared by the estimator tests (importing this imports
Keras)."""

import keras
import numpy as np

from toonsklearn import CNNClassifier, MultiLabelCNN
from toonsklearn.datasets import make_toons


class _TinyBackbone:
    """A two-layer conv backbone: a real Keras model that builds and trains in milliseconds.

    A callable object rather than a function so that its repr, which names the common
    checks' test ids, is the same in every process (pytest-xdist workers must agree).
    """

    def __call__(self, input_shape):
        inputs = keras.Input(input_shape)
        x = keras.layers.Conv2D(4, 3, padding="same", name="tiny_conv1")(inputs)
        x = keras.layers.BatchNormalization(name="tiny_bn")(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu",
                                name="tiny_conv2")(x)
        return keras.Model(inputs, x, name="tiny_backbone")

    def __repr__(self):
        return "tiny_backbone"


tiny_backbone = _TinyBackbone()


#: Small but real settings: enough steps for BatchNorm statistics to settle.
TINY = dict(epochs=3, batch_size=8, learning_rate=0.01, validation_fraction=0.0,
            early_stopping=None, random_state=0)


def toons(n=48, size=16, task="binary", seed=0):
    return make_toons(n, task=task, image_size=size, random_state=seed)


def small_cnn(**params):
    """A two-block ``CNNClassifier`` with the ``TINY`` settings, ``params`` over them."""
    return CNNClassifier(filters=(4, 8), convs_per_block=1, **{**TINY, **params})


def tiny_multilabel(**params):
    """A one-block ``MultiLabelCNN`` with small but real settings, ``params`` over them."""
    return MultiLabelCNN(**{"filters": (4,), "convs_per_block": 1, "epochs": 3,
                            "batch_size": 8, "learning_rate": 0.01,
                            "validation_fraction": 0.0, "early_stopping": None,
                            "random_state": 0, **params})


def as_float(array):
    return np.asarray(array, dtype=np.float64)


class _CountBatches(keras.layers.Layer):
    """Passes its input on, and appends ``<pid> <images>`` to the file ``log`` for every
    batch it computes: how many images a backbone ran on, in which process."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def call(self, x):
        import tensorflow as tf

        done = tf.py_function(self._record, [tf.shape(x)[0]], Tout=tf.int32)
        with tf.control_dependencies([done]):
            return tf.identity(x)

    def _record(self, n):
        import os

        with open(self.log, "a") as log:
            log.write(f"{os.getpid()} {int(n)}\n")
        return 0

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "log": self.log}


class CountingBackbone:
    """``tiny_backbone`` that logs each batch of images it runs on to the file ``log``."""

    def __init__(self, log):
        self.log = str(log)

    def __call__(self, input_shape):
        inputs = keras.Input(input_shape)
        outputs = _CountBatches(self.log)(tiny_backbone(input_shape)(inputs))
        return keras.Model(inputs, outputs, name="counting_backbone")

    def __repr__(self):
        return "counting_backbone"


def images_computed(log) -> dict:
    """Images a ``CountingBackbone`` ran on, per process id."""
    counts = {}
    for line in open(log).read().split("\n"):
        if line:
            pid, n = map(int, line.split())
            counts[pid] = counts.get(pid, 0) + n
    return counts


class InterruptAt(keras.callbacks.Callback):
    """Raises ``KeyboardInterrupt`` as epoch ``epoch`` begins, as Ctrl-C would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


class RatesSeen(keras.callbacks.Callback):
    """The optimizer's learning rate at the start and end of every epoch."""

    def __init__(self):
        super().__init__()
        self.begin, self.end = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.begin.append(float(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch, logs=None):
        self.end.append(float(self.model.optimizer.learning_rate))
