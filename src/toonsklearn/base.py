"""The one base class over scikeras' ``KerasClassifier`` that every estimator builds on.

It owns what the three estimators share: parameters, input validation (image
arrays, 2-D feature matrices, or a 1-D array of file paths), the ``tf.data``
pipeline, seeding, validation split, early stopping, checkpoints, and the
scikit-learn tags that scikeras 0.13 predates.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import warnings
from numbers import Integral, Real

import keras
import numpy as np
import pandas as pd
import scipy.sparse
import tensorflow as tf
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from tensorflow.python.framework import config as tf_config  # op determinism switches

from ._imaging import resize_array
from .augment import augmentation_layers
from .exceptions import ScaledImagesWarning
from .loaders import read_images

__all__ = ["ImageClassifierBase"]

#: Model input size for file paths when neither ``input_size`` nor a backbone sets one.
DEFAULT_PATH_SIZE = (128, 128)


class _MixinsBeforeBase(type):
    """Put ``ClassifierMixin`` before ``BaseEstimator`` in the MRO.

    scikeras declares ``KerasClassifier(BaseWrapper, ClassifierMixin)``, which puts
    the mixin after ``BaseEstimator``: its tags never apply, so with scikit-learn >= 1.6
    ``is_classifier`` is False and ``cross_val_score`` silently uses unstratified
    folds. A subclass inherits that order, so the order is repaired here.
    """

    def mro(cls):
        order = super().mro()
        if ClassifierMixin in order and BaseEstimator in order:
            order.remove(ClassifierMixin)
            order.insert(order.index(BaseEstimator), ClassifierMixin)
        return order


class _ImageSource:
    """Images by index, from an array or from files, at the model's input size."""

    def __init__(self, data: np.ndarray, is_paths: bool, shape: tuple[int, int, int]):
        self.data = data
        self.is_paths = is_paths
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.uint8 if is_paths or data.dtype == np.uint8 else np.float32

    def __len__(self) -> int:
        return len(self.data)

    def take(self, indices: np.ndarray) -> np.ndarray:
        size, channels = self.shape[:2], self.shape[2]
        if self.is_paths:
            mode = "grayscale" if channels == 1 else "rgb"
            return read_images(self.data[indices], size, color_mode=mode)
        images = self.data[indices]
        if images.shape[1:3] != size:
            images = np.stack([resize_array(image, size) for image in images])
        return images.astype(self.dtype, copy=False)


class ImageClassifierBase(KerasClassifier, metaclass=_MixinsBeforeBase):
    """Shared machinery of the toonsklearn Keras estimators; not used directly.

    Subclasses implement ``_keras_build_fn(meta)`` returning an uncompiled
    ``keras.Model`` that takes ``meta["image_shape_"]`` pixels in 0-255 and
    returns ``meta["n_outputs_model_"]`` outputs, and may override
    ``_train`` (how the model is fitted) and the target handling methods.
    """

    # scikeras' old-style tags claim multi-output and multi-label support. scikit-learn
    # 1.6 falls back to them (BaseWrapper defines `_more_tags` only), where they would
    # override `__sklearn_tags__`; subclasses restate what they really support.
    _tags: dict = {}

    # scikeras reads these; as class attributes they are not estimator parameters.
    model = None
    build_fn = None
    warm_start = False
    loss = None
    metrics = None

    _parameter_constraints: dict = {
        "input_size": [tuple, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [str, keras.optimizers.Optimizer, type],
        "augment": [None, StrOptions({"light", "strong"}), dict],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": [Interval(Integral, 1, None, closed="left"), None, "boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "checkpoint_dir": [str, os.PathLike, None],
    }

    def __init__(
        self,
        *,
        input_size=None,
        epochs=30,
        batch_size=32,
        learning_rate=1e-3,
        optimizer="adam",
        augment=None,
        validation_fraction=0.1,
        early_stopping=10,
        class_weight=None,
        random_state=None,
        verbose=0,
        callbacks=None,
        checkpoint_dir=None,
    ):
        self.input_size = input_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.augment = augment
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir

    __repr__ = BaseEstimator.__repr__
    score = ClassifierMixin.score

    # ----------------------------------------------------------------- input
    def _default_input_size(self) -> tuple[int, int] | None:
        """Model input size when ``input_size`` is None; None means the data's own."""
        return None

    def _as_source(self, X, *, reset: bool) -> _ImageSource:
        """Validate ``X`` (paths, images or a 2-D matrix) and wrap it as an image source."""
        name = type(self).__name__
        if scipy.sparse.issparse(X):
            raise TypeError(
                f"{name} does not accept sparse input; pass a dense array (X.toarray()) or "
                "images of shape (n_samples, height, width, channels)."
            )
        array = np.asarray(X) if not hasattr(X, "iloc") else X
        if np.asarray(array).ndim == 1 and np.asarray(array).dtype.kind in "OUS":
            paths = np.asarray([os.fspath(p) for p in np.asarray(array)], dtype=str)
            if len(paths) == 0:
                raise ValueError(f"{name} received an empty array of file paths.")
            channels = 3 if reset else self.image_shape_[2]
            size = self._model_size(None) if reset else self.image_shape_[:2]
            if reset:
                self.image_shape_ = (*size, channels)
            return _ImageSource(paths, True, (*size, channels))
        if np.asarray(array).ndim == 2:
            images = validate_data(self, X, reset=reset, dtype="numeric")
            images = images[:, :, np.newaxis, np.newaxis]  # f features -> an f x 1 image
        else:
            images = check_array(array, allow_nd=True, dtype="numeric")
            if images.ndim == 1 or images.ndim > 4:
                raise ValueError(
                    f"{name} expects images (n_samples, height, width[, channels]), a 2-D "
                    f"feature matrix, or a 1-D array of file paths; received shape "
                    f"{images.shape}."
                )
            if images.ndim == 3:
                images = images[..., np.newaxis]
            if reset:
                _warn_if_scaled(images)
        if reset:
            self.image_shape_ = (*self._model_size(images.shape[1:3]), images.shape[3])
        elif images.shape[3] != self.image_shape_[2]:
            raise ValueError(
                f"{name} was fitted on images with {self.image_shape_[2]} channels; received "
                f"shape {images.shape}. Expected (n_samples, height, width, "
                f"{self.image_shape_[2]})."
            )
        return _ImageSource(images, False, self.image_shape_)

    def _model_size(self, data_size) -> tuple[int, int]:
        size = self.input_size or self._default_input_size() or data_size or DEFAULT_PATH_SIZE
        if len(size) != 2 or not all(isinstance(s, Integral) and s > 0 for s in size):
            raise ValueError(
                f"input_size must be (height, width) of positive ints; received {size!r}."
            )
        return tuple(int(s) for s in size)

    # ---------------------------------------------------------------- target
    def _encode_target(self, y, *, reset: bool) -> np.ndarray:
        """Validate ``y``, learn ``classes_`` when ``reset``, return what the model trains on."""
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self.classes_ = None
            self.target_encoder_ = self.target_encoder.fit(y)
            vars(self).update(self.target_encoder_.get_metadata())
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y has only one class ({self.classes_[0]!r}); a classifier needs at "
                    "least two."
                )
        return np.asarray(self.target_encoder_.transform(y), dtype=np.float32).reshape(len(y), -1)

    def _output_spec(self) -> tuple[int, str, str, list]:
        """(outputs, activation, loss, metrics) of the model for the fitted target."""
        if len(self.classes_) == 2:
            return 1, "sigmoid", "binary_crossentropy", ["accuracy"]
        return len(self.classes_), "softmax", "sparse_categorical_crossentropy", ["accuracy"]

    def _proba_from_outputs(self, outputs: np.ndarray) -> np.ndarray:
        outputs = np.asarray(outputs, dtype=np.float64)
        if outputs.shape[1] == 1:
            return np.hstack([1 - outputs, outputs])
        return outputs

    # ---------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Build a new model and train it on images ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images with pixels in 0-255 (uint8 or float), a 2-D feature matrix
            (read as ``n_features`` x 1 single-channel images), or file paths.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplied by the ``class_weight`` weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self.__dict__.pop("history_", None)
        with self._seeded():
            source, y_model, weights = self._prepare_fit(X, y, sample_weight)
            train_idx, val_idx = self._split(len(source), y)
            self.model_ = self._build_keras_model()
            self._train(source, y_model, weights, train_idx, val_idx)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch on ``(X, y)``, building the model on the first call.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All classes; needed on the first call when ``y`` may miss some.

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "model_")
        with self._seeded():
            if first:
                self._validate_params()
                if classes is not None:
                    self._encode_target(np.asarray(classes), reset=True)
                source, y_model, weights = self._prepare_fit(X, y, sample_weight,
                                                             reset_target=classes is None)
                self.model_ = self._build_keras_model()
                self._compile(self.learning_rate)
            else:
                source, y_model, weights = self._prepare_fit(X, y, sample_weight, reset=False)
                if not self.model_.compiled:  # a head trained on features leaves it uncompiled
                    self._compile(self.learning_rate)
            history = self.model_.fit(
                self._dataset(source, np.arange(len(source)), y_model, weights, shuffle=True),
                epochs=1, verbose=self.verbose, shuffle=False,
            )
        self._append_history(history)
        return self

    def _prepare_fit(self, X, y, sample_weight, *, reset=True, reset_target=True):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        source = self._as_source(X, reset=reset)
        check_consistent_length(source.data, y)
        y_model = self._encode_target(y, reset=reset and reset_target)
        weights = _check_sample_weight(sample_weight, source.data, dtype=np.float64)
        weights = self._sample_weights(y, y_model, weights)
        return source, y_model, weights.astype(np.float32)

    def _sample_weights(self, y, y_model, weights) -> np.ndarray:
        """``weights`` times the ``class_weight`` weights; at least two classes must remain."""
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y)
        self._check_weighted_classes(y, weights)
        return weights

    def _check_weighted_classes(self, y, weights) -> None:
        y = column_or_1d(y)
        if len(np.unique(y[weights > 0])) < 2:
            raise ValueError(
                "After sample_weight and class_weight, only one class has a nonzero weight; "
                "a classifier needs at least two."
            )

    def _seeded(self):
        """Seed Python, NumPy, TensorFlow and Keras, with deterministic ops, for this fit."""
        state = self.random_state
        if state is None:
            self._random_state = None
            return contextlib.nullcontext()
        seed = state if isinstance(state, Integral) else check_random_state(state).randint(2**31)
        self._random_state = int(seed)
        return _deterministic(self._random_state)

    def _stratify(self, y):
        """Labels to stratify the validation split by, or None."""
        return column_or_1d(y)

    def _split(self, n: int, y) -> tuple[np.ndarray, np.ndarray]:
        """Indices for training and for validation (stratified when the classes allow it)."""
        indices = np.arange(n)
        n_val = math.ceil(n * self.validation_fraction)
        if n_val == 0 or n - n_val < 1:
            return indices, indices[:0]
        stratify = self._stratify(y)
        try:
            train, val = train_test_split(indices, test_size=n_val, stratify=stratify,
                                          random_state=self._random_state)
        except ValueError:  # a class too small to stratify
            train, val = train_test_split(indices, test_size=n_val,
                                          random_state=self._random_state)
        return np.sort(train), np.sort(val)

    def _keras_build_fn(self, meta: dict):  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    def _build_keras_model(self) -> keras.Model:
        """Call the ``_keras_build_fn`` hook (already seeded by ``fit``)."""
        self.n_outputs_model_, self._activation, _, _ = self._output_spec()
        return self._keras_build_fn(meta=self._get_metadata())

    def _inputs_and_augmentation(self):
        """The model's input layer and, when ``augment`` is set, its augmented tensor."""
        inputs = keras.Input(self.image_shape_, name="pixels")
        x = inputs
        for layer in augmentation_layers(self.augment, seed=self._random_state):
            x = layer(x)
        return inputs, x

    def _make_optimizer(self, learning_rate: float) -> keras.optimizers.Optimizer:
        spec = self.optimizer
        try:
            optimizer = spec() if isinstance(spec, type) else keras.optimizers.get(spec)
        except ValueError:
            raise ValueError(
                f"Unknown optimizer {spec!r}; use a Keras optimizer name such as 'adam', "
                "'sgd', 'rmsprop' or 'adamw', or a keras.optimizers.Optimizer."
            ) from None
        config = optimizer.get_config()
        config["learning_rate"] = learning_rate
        return type(optimizer).from_config(config)

    def _compile(self, learning_rate: float, model: keras.Model | None = None) -> None:
        _, _, loss, metrics = self._output_spec()
        (model or self.model_).compile(optimizer=self._make_optimizer(learning_rate),
                                       loss=loss, metrics=metrics)

    def _callbacks(self, has_validation: bool, phase: str = "train") -> list:
        """Checkpointing, early stopping, then the user's callbacks, for one training phase."""
        callbacks = []
        if self.checkpoint_dir is not None:
            backup_dir = os.path.join(os.fspath(self.checkpoint_dir), phase)
            callbacks.append(keras.callbacks.BackupAndRestore(backup_dir))
        if self.early_stopping:
            patience = 10 if self.early_stopping is True else int(self.early_stopping)
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss" if has_validation else "loss",
                patience=patience, restore_best_weights=True,
            ))
        return callbacks + list(self.callbacks or [])

    def _train(self, source, y_model, weights, train_idx, val_idx) -> None:
        """Compile ``model_`` and fit it; sets ``history_``."""
        self._compile(self.learning_rate)
        self._fit_model(self.model_, source, y_model, weights, train_idx, val_idx, self.epochs)

    def _fit_model(self, model, source, y_model, weights, train_idx, val_idx, epochs,
                   callbacks=None) -> None:
        """``model.fit`` over tf.data pipelines; appends to ``history_``."""
        validation = (
            self._dataset(source, val_idx, y_model, weights) if len(val_idx) else None
        )
        history = model.fit(
            self._dataset(source, train_idx, y_model, weights, shuffle=True),
            validation_data=validation,
            epochs=epochs,
            callbacks=self._callbacks(validation is not None) if callbacks is None else callbacks,
            verbose=self.verbose,
            shuffle=False,  # the dataset shuffles itself
        )
        self._append_history(history)

    def _append_history(self, history: keras.callbacks.History) -> None:
        new = pd.DataFrame(history.history)
        previous = getattr(self, "history_", None)
        self.history_ = new if previous is None else pd.concat([previous, new],
                                                               ignore_index=True)
        self.history_.index.name = "epoch"

    def _dataset(self, source, indices, y=None, weights=None, *, shuffle=False):
        """Batches of ``source[indices]`` (with labels and weights) decoded in parallel."""
        ds = tf.data.Dataset.from_tensor_slices(np.asarray(indices, dtype=np.int64))
        if shuffle:
            ds = ds.shuffle(len(indices), seed=self._random_state, reshuffle_each_iteration=True)
        ds = ds.batch(self.batch_size)
        tf_dtype = tf.as_dtype(source.dtype)

        def load(idx):
            images = tf.numpy_function(source.take, [idx], tf_dtype, stateful=False)
            images.set_shape((None, *source.shape))
            return tf.cast(images, tf.float32)

        if y is None:
            ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        else:
            y_t = tf.constant(y)
            w_t = tf.constant(weights)
            ds = ds.map(lambda idx: (load(idx), tf.gather(y_t, idx), tf.gather(w_t, idx)),
                        num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    # ------------------------------------------------------------- predicting
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        check_is_fitted(self, "model_")
        source = self._as_source(X, reset=False)
        outputs = self.model_.predict(self._dataset(source, np.arange(len(source))),
                                      verbose=0)
        return self._proba_from_outputs(outputs)

    def predict(self, X) -> np.ndarray:
        """Predicted labels, shape ``(n_samples,)``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def initialize(self, X, y):
        """Build ``model_`` for ``(X, y)`` without training it. Returns self."""
        self._validate_params()
        with self._seeded():
            self._prepare_fit(X, y, None)
            self.model_ = self._build_keras_model()
            self._compile(self.learning_rate)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        return tags

    @property
    def current_epoch(self) -> int:
        """Epochs trained so far (``len(history_)``)."""
        return len(getattr(self, "history_", ()))


@contextlib.contextmanager
def _deterministic(seed: int):
    """Seed every generator and turn on TensorFlow's op determinism; undo both on exit.

    scikeras' ``tensorflow_random_state`` sets ``TF_DETERMINISTIC_OPS`` before asking
    whether determinism was on, so it never turns it off again, and the caller's later
    unseeded Keras code fails; hence this context.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    was_deterministic = tf_config.is_op_determinism_enabled()
    keras.utils.set_random_seed(seed)
    tf_config.enable_op_determinism()
    try:
        yield
    finally:
        if not was_deterministic:
            tf_config.disable_op_determinism()
        tf.random.set_seed(None)
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002 (the legacy global state Keras seeds)


def _warn_if_scaled(images: np.ndarray) -> None:
    """Warn when float images look like [0, 1]: the model divides by 255 itself."""
    if images.dtype.kind == "f" and images.size and images.min() >= 0 and images.max() <= 1:
        warnings.warn(
            "The images look scaled to [0, 1]; toonsklearn expects pixels in 0-255 and "
            "scales inside the model. Multiply by 255 (or pass uint8 images).",
            ScaledImagesWarning,
            stacklevel=4,
        )
