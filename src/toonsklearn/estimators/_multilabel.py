"""``MultiLabelCNN``: any number of labels per image, from scratch or on a backbone."""

from __future__ import annotations

from numbers import Real

import keras
import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.class_weight import compute_sample_weight

from .._utils.targets import check_thresholds, multilabel_kind
from ..exceptions import TargetError
from ._base import ImageClassifierBase
from ._cnn import CNN_CONSTRAINTS, scratch_network
from ._shared import Scratch, Shared, document_parameters, shared
from ._transfer import (
    TRANSFER_CONSTRAINTS,
    FeaturesOnceMixin,
    TransferClassifier,
    transfer_network,
)

__all__ = ["MultiLabelCNN"]


@document_parameters
class MultiLabelCNN(FeaturesOnceMixin, ImageClassifierBase):
    """Multi-label image classification: any number of labels per image.

    Sigmoid outputs with binary cross-entropy, one per label; ``predict``
    thresholds the probabilities. The network is a scratch CNN (as in
    :class:`CNNClassifier`) or, with ``backbone=``, a frozen pretrained backbone
    whose features are computed once per fit (and cached with ``memory=``).

    Parameters
    ----------
    threshold : float or array-like of shape (n_labels,), default=0.5
        Probability at or above which a label is predicted: one for all labels, or
        one per label in ``classes_`` order (:func:`toonsklearn.tuning.tune_thresholds`
        picks them on out-of-fold predictions).
    backbone : str or keras.Model or callable or None, default=None
        None trains a CNN from scratch, as :class:`~toonsklearn.CNNClassifier` does,
        built by the parameters from ``architecture`` to ``pooling``; otherwise a
        backbone as in :class:`~toonsklearn.TransferClassifier`, kept frozen, under a
        head of ``dense_units`` and ``dropout``.
    weights : "imagenet" or None or str, default="imagenet"
        Backbone weights, as in :class:`TransferClassifier`.
    preprocessing : str or None, default=None
        Backbone preprocessing override, as in :class:`TransferClassifier`.
    %(memory)s
    %(scratch_network)s
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        Label names: sorted for label sets, the columns of an indicator DataFrame
        (``load_labels_csv(...).frame[target_names]``), or column indices for an
        indicator array.
    model_ : keras.Model
        The trained network; it takes raw 0-255 pixels.
    history_ : pandas.DataFrame
        Loss and metrics per epoch, indexed by the epoch from 1 (as Keras prints
        ``Epoch 1/30``), with ``best`` and ``phase`` columns (``"head"`` on
        frozen-backbone features, else ``"train"``); the ``val_`` columns are on the
        early-stopping split (``validation_fraction``), not a test set.
    best_epoch_ : int
        The epoch whose weights were kept, as numbered in ``history_``'s index.
    image_shape_ : tuple of int
        ``(height, width, channels)`` the model takes.
    batch_size_ : int
        Images per training step of the last fit: ``batch_size``, or the size
        ``batch_size="auto"`` picked for the training images.

    See Also
    --------
    toonsklearn.load_labels_csv : Multi-label ground truth from a CSV file.

    Notes
    -----
    y may be an indicator matrix ``(n_samples, n_labels)`` or a list of label sets
    (``[{"tom"}, {"tom", "jerry"}, set()]``); ``predict`` returns the indicator
    matrix over ``classes_``. Plain 1-D labels make it a single-label classifier
    exactly like :class:`CNNClassifier`.

    The scratch network trains as :class:`CNNClassifier`'s does (see
    :class:`~toonsklearn.estimators.Scratch`). A frozen backbone usually finds tags
    such as "face" or "animal" better than a network learnt from a few hundred
    images: pass ``backbone=``, and pick per-label thresholds with
    :func:`~toonsklearn.tuning.tune_thresholds`.

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
        **CNN_CONSTRAINTS,
        **TRANSFER_CONSTRAINTS,
        "backbone": [str, keras.Model, callable, None],
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(
        self,
        threshold=0.5,
        *,
        backbone=None,
        weights="imagenet",
        preprocessing=None,
        memory=None,
        architecture=Scratch.architecture,
        filters=Scratch.filters,
        kernel_size=Scratch.kernel_size,
        convs_per_block=Scratch.convs_per_block,
        dense_units=Scratch.dense_units,
        dropout=Scratch.dropout,
        l2=Scratch.l2,
        pooling=Scratch.pooling,
        input_size=Shared.input_size,
        epochs=Shared.epochs,
        batch_size=Shared.batch_size,
        learning_rate=Shared.learning_rate,
        optimizer=Shared.optimizer,
        lr_schedule=Scratch.lr_schedule,
        label_smoothing=Scratch.label_smoothing,
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
        self.threshold = threshold
        self.backbone = backbone
        self.weights = weights
        self.preprocessing = preprocessing
        self.memory = memory
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
        build = scratch_network if self.backbone is None else transfer_network
        return build(self, inputs, x, meta["n_outputs_model_"], self._activation)

    def _default_input_size(self):
        if self.backbone is None:
            return None
        return TransferClassifier._default_input_size(self)

    def _encode_target(self, y, *, reset: bool) -> np.ndarray:
        if reset:
            self.target_kind_ = multilabel_kind(y)
            if self.target_kind_ == "sets":
                self.label_binarizer_ = MultiLabelBinarizer().fit(y)
                self.classes_ = self.label_binarizer_.classes_
            elif self.target_kind_ == "indicator":
                columns = getattr(y, "columns", None)
                self.classes_ = (np.asarray(columns) if columns is not None
                                 else np.arange(np.asarray(y).shape[1]))
            if self.target_kind_ != "labels":
                self._thresholds()  # refuse a bad threshold before training
            elif np.ndim(self.threshold) != 0:
                raise InvalidParameterError(
                    f"threshold={self.threshold!r} gives one value per label, but y holds "
                    "one label per image, which predict picks by the highest probability. "
                    "Pass multi-label targets (an indicator matrix or label sets), or "
                    "leave threshold a float."
                )
        if self.target_kind_ == "labels":
            return super()._encode_target(y, reset=reset)
        if self.target_kind_ == "sets":
            return self.label_binarizer_.transform(y).astype(np.float32)
        indicator = np.asarray(y, dtype=np.float32)
        if indicator.ndim != 2 or indicator.shape[1] != len(self.classes_):
            raise TargetError(
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
        """Predict the labels of each image: those at or above their ``threshold``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images, a 2-D feature matrix or file paths, as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_labels) or (n_samples,)
            The 0/1 indicator matrix, columns in ``classes_`` order; for an estimator
            fitted on 1-D labels, the most probable label per image.

        Examples
        --------
        >>> from toonsklearn import MultiLabelCNN
        >>> from toonsklearn.datasets import make_toons
        >>> X, Y = make_toons(16, task="multilabel", image_size=8, random_state=0)
        >>> clf = MultiLabelCNN(filters=(4,), epochs=1, random_state=0).fit(X, Y)
        >>> Y_pred = clf.predict(X[:3])
        >>> Y_pred.shape, set(Y_pred.ravel().tolist()) <= {0, 1}
        ((3, 2), True)
        >>> bool(clf.set_params(threshold=0.0).predict(X[:3]).all())  # every label
        True
        """
        if getattr(self, "target_kind_", None) == "labels":
            return super().predict(X)
        return (self.predict_proba(X) >= self._thresholds()).astype(int)

    def _thresholds(self) -> np.ndarray:
        """``threshold`` as one value per label, checked against ``classes_``."""
        return check_thresholds(self.threshold, self.classes_)

    def _stratify(self, y):
        return super()._stratify(y) if self.target_kind_ == "labels" else None

    def _give_every_label_a_training_image(self, y, train, val):
        """Move into training one validation image of each label that has positives but
        none among the training images."""
        matrix, train, val = self._encode_target(y, reset=False), list(train), list(val)
        for label in np.flatnonzero(matrix.any(axis=0)):
            if matrix[train, label].any():
                continue
            moved = next(i for i in val if matrix[i, label])
            val.remove(moved)
            train.append(moved)
        return np.asarray(train, dtype=np.intp), np.asarray(val, dtype=np.intp)

    def _check_weighted_classes(self, y, weights):
        if self.target_kind_ == "labels":
            super()._check_weighted_classes(y, weights)

    def _sample_weights(self, y, y_model, weights):
        """For multi-label targets, ``"balanced"`` balances each label's positives and
        negatives, and a dict ``{label: weight}`` weighs each image by the product of
        the weights of the labels it has (1 for a label not named), as
        :func:`~sklearn.utils.class_weight.compute_sample_weight` does for one
        ``{0: 1, 1: weight}`` per label; both multiply into ``sample_weight``."""
        if self.target_kind_ == "labels":
            return super()._sample_weights(y, y_model, weights)
        if isinstance(self.class_weight, dict):
            return weights * self._label_weights(y_model)
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y_model)
        return weights

    def _label_weights(self, y_model: np.ndarray) -> np.ndarray:
        """Each image's product of the ``class_weight`` weights of its labels."""
        labels = [label.item() if isinstance(label, np.generic) else label
                  for label in self.classes_]
        unknown = [key for key in self.class_weight if key not in labels]
        if unknown:
            raise InvalidParameterError(
                f"class_weight names {unknown[0]!r}, which is not one of the labels "
                f"{', '.join(map(repr, labels))}; a dict class_weight gives multi-label "
                "targets a weight per label name."
            )
        product = np.ones(len(y_model))
        for column, label in enumerate(labels):
            weight = self.class_weight.get(label, 1.0)
            if not isinstance(weight, Real) or not weight >= 0:
                raise InvalidParameterError(
                    f"class_weight[{label!r}] must be a non-negative number; received "
                    f"{weight!r}."
                )
            product[y_model[:, column] > 0.5] *= weight
        return product

    _tags = {"multilabel": True, "multioutput": True}  # for scikit-learn 1.6, see base.py

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags
