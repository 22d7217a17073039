"""Keras losses that saved models need: cross-entropy with label smoothing on the
integer labels the estimators train on.

Keras' ``SparseCategoricalCrossentropy`` takes no ``label_smoothing``; the loss here
does, so a multiclass estimator keeps its one-column integer targets. Importing this
module imports Keras; the registration makes a model compiled with it load with
``keras.saving.load_model`` and unpickle in a fresh process.
"""

from __future__ import annotations

from sklearn.utils._param_validation import InvalidParameterError

from ._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)

# isort: split
import keras
from keras import ops

__all__ = ["SparseLabelSmoothingCrossentropy"]


@keras.saving.register_keras_serializable(package="toonsklearn")
class SparseLabelSmoothingCrossentropy(keras.losses.Loss):
    """Categorical cross-entropy against integer labels, with label smoothing.

    Each label becomes a one-hot target smoothed towards the uniform distribution.

    With ``label_smoothing=s`` over ``k`` classes the true class's target is
    ``1 - s + s / k`` and every other class's ``s / k``: the network is not pushed to
    ever more confident outputs on a small training set, which it would overfit.

    Parameters
    ----------
    label_smoothing : float, default=0.1
        In [0, 1); 0 is plain sparse categorical cross-entropy.
    name : str, default="sparse_label_smoothing_crossentropy"
        The loss's name in Keras.
    **kwargs
        Passed on to ``keras.losses.Loss`` (``reduction``, ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn.losses import SparseLabelSmoothingCrossentropy
    >>> proba = np.array([[0.8, 0.1, 0.1]], dtype="float32")
    >>> plain = SparseLabelSmoothingCrossentropy(label_smoothing=0.0)
    >>> smoothed = SparseLabelSmoothingCrossentropy(label_smoothing=0.3)
    >>> round(float(plain([[0]], proba)), 4), round(float(smoothed([[0]], proba)), 4)
    (0.2231, 0.639)
    """

    def __init__(self, label_smoothing=0.1, name="sparse_label_smoothing_crossentropy",
                 **kwargs):
        if not 0 <= label_smoothing < 1:
            raise InvalidParameterError(
                f"label_smoothing must be in [0, 1); got {label_smoothing!r}.")
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, ops.shape(y_pred)[:-1]), "int32")
        targets = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(targets, y_pred,
                                                     label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def training_loss(name: str, label_smoothing: float):
    """The loss to compile for an output's ``name`` (``"binary_crossentropy"`` or
    ``"sparse_categorical_crossentropy"``): the name itself without smoothing, so
    models compile as they always did, else a loss object that smooths."""
    if not label_smoothing:
        return name
    if name == "binary_crossentropy":
        return keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)
    if name == "sparse_categorical_crossentropy":
        return SparseLabelSmoothingCrossentropy(label_smoothing=label_smoothing)
    raise InvalidParameterError(f"no label-smoothing form of the loss {name!r}")
