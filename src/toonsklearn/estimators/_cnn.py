"""``CNNClassifier``: a convolutional network trained from scratch, and the scratch
network ``MultiLabelCNN`` shares."""

from __future__ import annotations

from numbers import Integral, Real

import keras
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

from ..architectures import ARCHITECTURES, ConvBlock, build_conv_stack, build_head
from ..layers import ImagePreprocessing
from ._base import ImageClassifierBase
from ._shared import Scratch, Shared, document_parameters, shared

__all__ = ["CNNClassifier"]

# What a preset architecture fixes: a change to any of these is refused with one.
_CNN_DEFAULTS = {name: getattr(Scratch, name)
                 for name in ("filters", "kernel_size", "convs_per_block", "pooling")}
CNN_CONSTRAINTS = {
    "architecture": [StrOptions(set(ARCHITECTURES)), None],
    "filters": [tuple, list],
    "kernel_size": [Interval(Integral, 1, None, closed="left")],
    "convs_per_block": [Interval(Integral, 1, None, closed="left")],
    "dense_units": [tuple, list, Interval(Integral, 1, None, closed="left"), None],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "pooling": [StrOptions({"avg", "flatten"})],
}

def units(dense_units) -> tuple:
    if dense_units is None:
        return ()
    return (dense_units,) if isinstance(dense_units, Integral) else tuple(dense_units)


def scratch_network(est, inputs, x, n_outputs, activation):
    """Preset or custom conv blocks, then the head, on the 0-255 tensor ``x``."""
    if est.architecture is None:
        blocks = tuple(ConvBlock(f, est.kernel_size, convs=est.convs_per_block)
                       for f in est.filters)
        pooling, dense_units = est.pooling, units(est.dense_units)
    else:
        changed = [k for k, v in _CNN_DEFAULTS.items() if getattr(est, k) != v]
        if changed:
            raise InvalidParameterError(
                f"{changed} cannot be set together with architecture={est.architecture!r}, "
                "which fixes its own blocks; use architecture=None for a custom network."
            )
        blocks, pooling, preset_units = ARCHITECTURES[est.architecture]
        dense_units = preset_units if est.dense_units is None else units(est.dense_units)
    x = ImagePreprocessing("scale", name="preprocessing")(x)
    x = build_conv_stack(x, blocks, l2=est.l2, block_dropout=est.dropout)
    outputs = build_head(x, n_outputs, activation, pooling=pooling, dense_units=dense_units,
                         dropout=est.dropout, l2=est.l2)
    return keras.Model(inputs, outputs, name=type(est).__name__)


@document_parameters
class CNNClassifier(ImageClassifierBase):
    """A convolutional network trained from scratch, as a scikit-learn classifier.

    Blocks of convolution -> batch norm -> ReLU (``convs_per_block`` times),
    then max pooling and dropout; then global average pooling (or flatten), optional
    dense layers, and a sigmoid (two classes) or softmax output. Pixels are scaled
    to [0, 1] inside the model, augmentation layers run only during ``fit``.

    Parameters
    ----------
    %(scratch_network)s
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit``, in the order of ``predict_proba``'s columns.
    model_ : keras.Model
        The trained network; it takes raw 0-255 pixels.
    history_ : pandas.DataFrame
        Loss and metrics per epoch, indexed by the epoch from 1 (as Keras prints
        ``Epoch 1/30``); the ``val_`` columns are on the early-stopping split
        (``validation_fraction``), not a test set. A ``best`` column marks the epoch
        whose weights were kept, and a ``phase`` column says ``"train"``.
    best_epoch_ : int
        The epoch whose weights were kept, as numbered in ``history_``'s index.
    image_shape_ : tuple of int
        ``(height, width, channels)`` the model takes.
    batch_size_ : int
        Images per training step of the last fit: ``batch_size``, or the size
        ``batch_size="auto"`` picked for the training images.
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

    Three defaults differ from TransferClassifier's (see
    :class:`~toonsklearn.estimators.Scratch`): ``lr_schedule="cosine"`` (under which
    early stopping watches the second half of the epochs only, whose rates decay to 0:
    the schedule ends most fits, and early stopping keeps the best epoch of that half),
    ``label_smoothing=0.1``
    and ``dropout=0.1``: a network that learns its features from few drawings needs
    them not to overfit; ``benchmarks/bench_defaults_openmoji.py`` compares them
    with the baselines people write.

    Examples
    --------
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> X, y = make_toons(40, image_size=16, random_state=0)
    >>> clf = CNNClassifier(filters=(8,), epochs=2, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {**ImageClassifierBase._parameter_constraints, **CNN_CONSTRAINTS}

    def __init__(
        self,
        architecture=Scratch.architecture,
        *,
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
        return scratch_network(self, inputs, x, meta["n_outputs_model_"], self._activation)
