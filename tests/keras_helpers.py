"""Tiny models and data shared by the estimator tests (importing this imports Keras)."""

import keras
import numpy as np

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


def as_float(array):
    return np.asarray(array, dtype=np.float64)
