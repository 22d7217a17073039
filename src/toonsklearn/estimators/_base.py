"""The one base class over scikeras' ``KerasClassifier`` that every estimator builds on.

It owns the scikit-learn side of the three estimators: their shared parameters, input
validation (image arrays, 2-D feature matrices, or a 1-D array of file paths), target
encoding, ``fit``/``partial_fit``/``predict`` and the tags that scikeras 0.13 predates.
How the model trains lives in :mod:`._training`, where the images come from in
:mod:`._data`.
"""

from __future__ import annotations

import contextlib
import os
from numbers import Integral, Real

import keras
import numpy as np
import tensorflow as tf
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.pipeline import Pipeline
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)

from ..exceptions import TrainingDataError
from . import _checkpoint as checkpoint
from ._callbacks import announce_fit, check_callbacks
from ._data import ImageInputMixin
from ._distribute import follow_strategy, strategy_scope
from ._shared import Shared, document_parameters
from ._training import TrainingMixin
from ._tta import VIEWS, predicting_network

__all__ = ["ImageClassifierBase", "final_step"]


def final_step(estimator) -> tuple[str, object]:
    """The parameter prefix of a Pipeline's last step (nested ones too), and that step."""
    prefix = ""
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        prefix += f"{name}__"
    return prefix, estimator


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


@document_parameters
class ImageClassifierBase(ImageInputMixin, TrainingMixin, KerasClassifier,
                          metaclass=_MixinsBeforeBase):
    """The base of every toonsklearn Keras estimator: subclass it to write your own.

    It brings what :class:`~toonsklearn.CNNClassifier` and the others have: the shared
    parameters, arrays or file paths as ``X`` (path mode), seeded fits, the named
    callbacks, checkpoints, several devices, ``clone``, pickling and
    :func:`toonsklearn.io.save`. A subclass implements ``_keras_build_fn(meta)``,
    returning an uncompiled ``keras.Model`` that takes ``meta["image_shape_"]``
    pixels in 0-255 and returns ``meta["n_outputs_model_"]`` outputs (one sigmoid for
    two classes, else a softmax over the classes); it may override ``_train`` (how
    the model is fitted) and the target handling methods. A subclass with
    parameters of its own names them and every shared parameter in its ``__init__``
    (with the defaults in :class:`~toonsklearn.estimators.Shared`), stores its own and
    hands the shared ones on, as :class:`~toonsklearn.CNNClassifier` does: scikit-learn
    reads the parameters from the signature.

    Parameters
    ----------
    %(shared_parameters)s

    Examples
    --------
    >>> import keras
    >>> from sklearn.base import clone
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.estimators import ImageClassifierBase, Shared
    >>> class PooledColours(ImageClassifierBase):  # each image's mean colour -> classes
    ...     def _keras_build_fn(self, meta):
    ...         inputs = keras.Input(meta["image_shape_"])
    ...         x = keras.layers.Rescaling(1 / 255)(inputs)
    ...         x = keras.layers.GlobalAveragePooling2D()(x)
    ...         n_outputs = meta["n_outputs_model_"]
    ...         activation = "sigmoid" if n_outputs == 1 else "softmax"
    ...         outputs = keras.layers.Dense(n_outputs, activation=activation)(x)
    ...         return keras.Model(inputs, outputs)
    >>> X, y = make_toons(16, image_size=8, random_state=0)
    >>> clf = PooledColours(epochs=1, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.model_.output_shape
    ((3,), (None, 1))
    >>> clone(clf).epochs, Shared.epochs  # the shared parameters, and their defaults
    (1, 30)
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
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [str, keras.optimizers.Optimizer, type],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "augment": [None, StrOptions({"light", "strong"}), dict],
        "tta": [None, StrOptions({"flip"}), Interval(Integral, 1, len(VIEWS), closed="both")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": [Interval(Integral, 1, None, closed="left"), None, "boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, dict, None],
        "checkpoint_dir": [str, os.PathLike, None],
        "distribution_strategy": [None, str, callable, tf.distribute.Strategy],
    }

    def __init__(
        self,
        *,
        input_size=Shared.input_size,
        epochs=Shared.epochs,
        batch_size=Shared.batch_size,
        learning_rate=Shared.learning_rate,
        optimizer=Shared.optimizer,
        lr_schedule=Shared.lr_schedule,
        label_smoothing=Shared.label_smoothing,
        augment=Shared.augment,
        tta=Shared.tta,
        validation_fraction=Shared.validation_fraction,
        early_stopping=Shared.early_stopping,
        class_weight=Shared.class_weight,
        random_state=Shared.random_state,
        verbose=Shared.verbose,
        callbacks=Shared.callbacks,
        checkpoint_dir=Shared.checkpoint_dir,
        distribution_strategy=Shared.distribution_strategy,
    ):
        self.input_size = input_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.tta = tta
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.distribution_strategy = distribution_strategy

    __repr__ = BaseEstimator.__repr__
    score = ClassifierMixin.score

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
                only = self.classes_[0]
                only = only.item() if isinstance(only, np.generic) else only
                raise TrainingDataError(
                    f"y has only one class ({only!r}); a classifier needs at least two. "
                    "Add images of another class (partial_fit takes a batch of one class "
                    "when classes= names them all)."
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

        Examples
        --------
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=2, early_stopping=None,
        ...                     random_state=0).fit(X, y)
        >>> clf.classes_.tolist(), clf.image_shape_, len(clf.history_)
        (['jerry', 'tom'], (8, 8, 3), 2)
        """
        with self._all_or_nothing(), self._seeded(), strategy_scope(self):
            announce_fit(self)
            self.__dict__.pop("history_", None)
            source, y_model, weights = self._prepare_fit(X, y, sample_weight)
            self._backup_dir = None if self.checkpoint_dir is None else checkpoint.claim(
                self.checkpoint_dir, checkpoint.fingerprint(self, source, y_model))
            train_idx, val_idx = self._split(len(source), y)
            self._set_batch_size(len(train_idx), reset=True)
            self._build_and_train(source, y_model, weights, train_idx, val_idx)
        return self

    @contextlib.contextmanager
    def _all_or_nothing(self):
        """When the body raises, put every attribute and the model's weights back, so a
        failed fit leaves the estimator predicting exactly as before."""
        before = dict(self.__dict__)
        model = before.get("model_")
        weights = model.get_weights() if model is not None else None
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if weights is not None:
                model.set_weights(weights)
            raise

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch on ``(X, y)``, building the model on the first call.

        The rate is the constant ``learning_rate`` whatever ``lr_schedule`` says: after a
        ``fit`` whose schedule ran down, the model goes on with a new optimizer. It trains
        under the ``distribution_strategy`` set now: a model built under another (one
        unpickled, or fitted before ``set_params`` changed the parameter) is rebuilt
        under it with its weights, and goes on with a new optimizer.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or (n_samples,)
            Images with pixels in 0-255, or a 1-D array of image file paths.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All classes; needed on the first call when ``y`` may miss some.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each image in the loss.

        Returns
        -------
        self : object
            The estimator, trained one epoch more.

        Examples
        --------
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> X, y = make_toons(20, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), dense_units=(), random_state=0)
        >>> clf.partial_fit(X, y).partial_fit(X, y).current_epoch
        2
        """
        first = not hasattr(self, "model_")
        if first:
            self._validate_params()
        with self._all_or_nothing(), self._seeded(), contextlib.ExitStack() as scope:
            moved = None if first else follow_strategy(self, self.model_)
            if moved is not None:
                self.model_ = moved
            scope.enter_context(strategy_scope(self, None if first else self.model_))
            if first:
                if classes is not None:
                    self._encode_target(np.asarray(classes), reset=True)
                source, y_model, weights = self._prepare_fit(X, y, sample_weight,
                                                             reset_target=classes is None)
                self.model_ = self._build_keras_model()
                self._compile(self.learning_rate)
            else:
                source, y_model, weights = self._prepare_fit(X, y, sample_weight, reset=False)
                if self._needs_compiling(self.model_):
                    self._compile(self.learning_rate)
            everything = np.arange(len(source))
            self._fit_model(self.model_, source, y_model, weights, everything, everything[:0],
                            epochs=1, callbacks=self._progress_callbacks())
        return self

    def _prepare_fit(self, X, y, sample_weight, *, reset=True, reset_target=True):
        """Validate a fit's data; only a fit from scratch needs two classes in it (a
        ``partial_fit`` batch may hold one)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        check_callbacks(self.callbacks)
        source = self._as_source(X, reset=reset)
        check_consistent_length(source.data, y)
        y_model = self._encode_target(y, reset=reset and reset_target)
        self._set_batch_size(len(source), reset=reset)
        weights = _check_sample_weight(sample_weight, source.data, dtype=np.float64)
        weights = self._sample_weights(y, y_model, weights)
        if reset and reset_target:
            self._check_weighted_classes(y, weights)
        return source, y_model, weights.astype(np.float32)

    def _sample_weights(self, y, y_model, weights) -> np.ndarray:
        """``weights`` times the ``class_weight`` weights."""
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y)
        return weights

    def _check_weighted_classes(self, y, weights) -> None:
        y = column_or_1d(y)
        if len(np.unique(y[weights > 0])) < 2:
            raise TrainingDataError(
                "After sample_weight and class_weight, only one class has a nonzero weight; "
                "a classifier needs at least two."
            )

    # ------------------------------------------------------------- predicting
    def predict_proba(self, X) -> np.ndarray:
        """Predict class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images, a 2-D feature matrix or file paths, as in ``fit``; resized to the
            model's input size.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, columns in ``classes_`` order; each row
            sums to 1.

        Examples
        --------
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        >>> proba = clf.predict_proba(X[:3])
        >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-6)
        ((3, 2), True)
        """
        check_is_fitted(self, "model_")
        source = self._as_source(X, reset=False)
        with source.our_errors(), strategy_scope(self, self.model_):
            network = self._predicting_network()
            outputs = network.predict(self._dataset(source, np.arange(len(source))), verbose=0)
        return self._proba_from_outputs(outputs[:len(source)])  # without padding

    def _predicting_network(self) -> keras.Model:
        """``model_``, or the network averaging its outputs over the views ``tta``
        takes (built once per ``model_`` and ``tta``, kept outside the estimator)."""
        self._check_tta()
        return predicting_network(self)

    def _check_tta(self) -> None:
        """Refuse a ``tta`` set after the fit that predicting cannot take."""
        validate_parameter_constraints({"tta": self._parameter_constraints["tta"]},
                                       {"tta": self.tta}, caller_name=type(self).__name__)
        if isinstance(self.tta, bool):
            raise InvalidParameterError(f"The 'tta' parameter of {type(self).__name__} must "
                                        'be "flip", an int from 1 to 6 or None; received '
                                        f"{self.tta!r}.")

    def predict(self, X) -> np.ndarray:
        """Predict the class of each image of ``X``: the most probable one.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images, a 2-D feature matrix or file paths, as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            A label of ``classes_`` per image.

        Examples
        --------
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        >>> y_pred = clf.predict(X)
        >>> y_pred.shape, set(y_pred) <= set(clf.classes_)
        ((16,), True)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def set_params(self, **params):
        """Set parameters, as in scikit-learn; routed ``prefix__name`` keys are refused."""
        routed = sorted(key for key in params if "__" in key)
        if routed:
            raise InvalidParameterError(
                f"{type(self).__name__} takes no routed parameters such as {routed[0]!r}: "
                "get_params and clone would drop them, and GridSearchCV with them. Pass the "
                "object instead, e.g. optimizer=keras.optimizers.SGD(momentum=0.9), or "
                "replace a default callback by name, e.g. callbacks={'early_stopping': "
                "keras.callbacks.EarlyStopping(patience=3)}."
            )
        return super().set_params(**params)

    def initialize(self, X, y):
        """Build ``model_`` for ``(X, y)`` without training it.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or (n_samples,)
            Images or image file paths, as in :meth:`fit`; they set the input shape.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, as in :meth:`fit`; they set the classes and the output layer.

        Returns
        -------
        self : object
            The estimator, with an untrained, compiled ``model_``.

        Examples
        --------
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> X, y = make_toons(20, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), dense_units=()).initialize(X, y)
        >>> clf.model_.output_shape, clf.current_epoch
        ((None, 1), 0)
        """
        self._validate_params()
        with self._all_or_nothing(), self._seeded(), strategy_scope(self):
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
        """Epochs trained so far (``len(history_)``), 0 before any fit.

        Examples
        --------
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0)
        >>> clf.current_epoch
        0
        >>> clf.fit(X, y).current_epoch
        1
        """
        return len(getattr(self, "history_", ()))
