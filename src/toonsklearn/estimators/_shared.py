"""The parameters every estimator shares: their defaults and their documentation, each
written once and filled into the three estimators' signatures and docstrings."""

from __future__ import annotations

import inspect
import string
import textwrap

from .._utils.docstrings import fill_doc


class Shared:
    """Defaults of the shared parameters (signatures name them: ``epochs=Shared.epochs``).

    An estimator of your own over :class:`~toonsklearn.estimators.ImageClassifierBase`
    takes the same defaults by naming these in its ``__init__``.

    Examples
    --------
    >>> from toonsklearn import CNNClassifier, TransferClassifier
    >>> from toonsklearn.estimators import Shared
    >>> Shared.epochs, Shared.batch_size
    (30, 'auto')
    >>> CNNClassifier().epochs == TransferClassifier().epochs == Shared.epochs
    True

    An estimator may set a default of its own (each docstring shows its own):

    >>> Shared.lr_schedule, CNNClassifier().lr_schedule
    ('constant', 'cosine')
    """

    input_size = None
    epochs = 30
    batch_size = "auto"
    learning_rate = 1e-3
    optimizer = "adam"
    lr_schedule = "constant"
    label_smoothing = 0.0
    augment = None
    tta = None
    validation_fraction = 0.1
    early_stopping = 10
    class_weight = None
    random_state = None
    verbose = 0
    callbacks = None
    checkpoint_dir = None
    distribution_strategy = None


class Scratch:
    """Defaults of the network trained from scratch, in CNNClassifier and MultiLabelCNN.

    They include the training settings these two take in place of
    :class:`~toonsklearn.estimators.Shared`'s.

    A network that learns its features from a few hundred drawings overfits them
    early: it trains along a cosine schedule (large steps once the weights have a
    direction, small ones to settle), with smoothed labels and light dropout, where a
    pretrained backbone's head trains at a constant rate on the labels as they are.

    Examples
    --------
    >>> from toonsklearn import CNNClassifier, MultiLabelCNN
    >>> from toonsklearn.estimators import Scratch
    >>> CNNClassifier().dropout == MultiLabelCNN().dropout == Scratch.dropout
    True
    """

    architecture = None
    filters = (32, 64, 128)
    kernel_size = 3
    convs_per_block = 2
    dense_units = None
    dropout = 0.1
    l2 = 0.0
    pooling = "avg"
    lr_schedule = "cosine"
    label_smoothing = 0.1


# name -> (type, what it does); the default comes from the estimator's signature.
_DOCS = {
    "input_size": ("tuple of (int, int) or None", """
        ``(height, width)`` the model takes; images of another size are resized.
        None uses the backbone's default size when there is a backbone, else the
        training images' size: for file paths, the size they all share when it fits
        in 128x128 (read from their headers), else 128x128."""),
    "epochs": ("int", """
        Most epochs (of the head phase, for a fine-tuned backbone); early stopping
        usually ends sooner."""),
    "batch_size": ('int or "auto"', """
        Images per training step, and per batch when predicting. ``"auto"`` takes the
        largest of 8, 16 and 32 that gives at least 10 steps an epoch over the
        training images (8 below 160 of them, 32 from 320 on): a small data set then
        gets ten or more updates an epoch, not one of 32. ``batch_size_`` holds the
        size a fit used."""),
    "learning_rate": ("float", """
        Of the optimizer (of the head phase, for a fine-tuned backbone); the peak
        rate when ``lr_schedule="cosine"``."""),
    "optimizer": ("str or keras.optimizers.Optimizer", """
        A Keras optimizer name (``"adam"``, ``"sgd"``, ``"rmsprop"``, ``"adamw"``...),
        an optimizer, or an optimizer class. Each fit builds a new optimizer of that
        class and settings, with ``learning_rate`` as its rate; an optimizer given is
        never used itself."""),
    "lr_schedule": ('{"constant", "cosine"}', """
        How the rate moves during each ``fit`` (and each phase of one): ``"constant"``
        keeps ``learning_rate``; ``"cosine"`` warms up from a tenth of it to it over
        the first tenth of the steps that ``epochs`` allow, then decays along a
        cosine to 0 at the last one: large steps once the weights have a direction,
        small ones to settle. ``partial_fit`` and :func:`~toonsklearn.tuning.lr_find`
        train at constant rates."""),
    "label_smoothing": ("float", """
        In [0, 1): the share of a uniform distribution mixed into the targets the
        loss compares with, ``1 - s + s / k`` for the true one of ``k`` classes and
        ``s / k`` for the others (``k = 2`` per label for two classes and
        multi-label targets), so the network is not pushed to ever more confident
        outputs on the training images. 0 trains on the labels as they are."""),
    "augment": ('{"light", "strong"} or dict or None', """
        Random flips, rotations, zooms... applied per batch during ``fit`` only
        (see :func:`toonsklearn.augment.augmentation_layers`)."""),
    "tta": ('"flip" or int or None', """
        Test-time augmentation: predictions average the probabilities of several
        fixed views of each image. ``"flip"`` averages the image and its mirror
        (left-right: a mirrored cartoon shows the same character); an int ``k``
        takes the first ``k`` of the image, its mirror, a 10 % zoom to the centre,
        its mirror, a 20 % zoom and its mirror. Each view costs a pass of the
        network. It acts when predicting only, so it can be set on a fitted
        estimator without fitting again, and exported models
        (:func:`toonsklearn.export.export_model`) carry it. None predicts from the
        image alone."""),
    "validation_fraction": ("float", """
        Share of the training images held out (stratified) as the early-stopping
        split: early stopping watches the loss on it and keeps the best epoch's
        weights. The ``val_loss``, ``val_accuracy`` ... of the epoch lines and of
        ``history_`` are figures on this split, not on a test set (the epoch kept is
        the best on it, so they are a little optimistic). 0 holds out none and
        monitors the training loss."""),
    "early_stopping": ("int or bool or None", """
        Patience in epochs: stop once the loss on the early-stopping split has not
        fallen for this many epochs (any fall, however small, counts), and restore
        the best epoch's weights. None or False trains all ``epochs``. Under
        ``lr_schedule="cosine"`` it watches from the middle of the schedule on (the
        high rates before make the loss jump), where the decaying rate seldom lets
        the loss stall that long: the schedule ends most such fits, and early
        stopping keeps the best epoch of the second half. With ``verbose``, a line
        at the end of each phase says which."""),
    "class_weight": ('dict or "balanced" or None', """
        Weights of the classes, multiplied into the sample weights: ``{class: weight}``,
        or ``"balanced"`` for weights inversely proportional to the class frequencies
        (as :func:`sklearn.utils.class_weight.compute_sample_weight` computes them). For
        multi-label targets, ``"balanced"`` balances each label's positives and
        negatives, and ``{label: weight}`` weighs each image by the product of the
        weights of the labels it has (1 for a label not named), so that a label
        weighted up is predicted more. None weighs every class the same."""),
    "random_state": ("int, RandomState or None", """
        Seeds weights, shuffling and augmentation: two fits with the same int give
        identical predictions."""),
    "verbose": ("int", """
        Keras' progress output: 0 silent, 1 progress bar, 2 one line per epoch. When
        the output is not a terminal (a log file, a pipe), 1 and 2 write one plain
        line per epoch instead, without control characters."""),
    "callbacks": ("list or dict of keras.callbacks.Callback or None", """
        A list runs after the callbacks the estimator adds itself, which are named
        ``"checkpoint"``, ``"early_stopping"`` and ``"progress"``; a dict replaces
        the callback of each name it gives (None turns it off) and adds the others."""),
    "checkpoint_dir": ("str or path-like or None", """
        Back up after every epoch; a fit interrupted (Ctrl-C, a killed process)
        resumes from the last finished epoch when run again with the same folder,
        data and parameters. Backups of other fits in the folder (other data,
        parameters or networks) are never resumed nor deleted; a
        :class:`~toonsklearn.exceptions.StaleCheckpointWarning` names them."""),
    "distribution_strategy": ('{"mirrored"} or callable or None', """
        Train on several devices of this machine: ``"mirrored"`` builds a
        ``tf.distribute.MirroredStrategy`` over every GPU (else every CPU device
        TensorFlow shows), a zero-argument callable returns a strategy of your own
        (e.g. ``functools.partial(tf.distribute.MirroredStrategy, devices=[...])``;
        a strategy itself does not pickle). Each batch of ``batch_size`` images
        (rounded to a multiple of the devices) is split across the devices. None
        trains on one device. Keras 3 does not
        support ``MultiWorkerMirroredStrategy``: spread searches over machines
        instead (see :ref:`scaling`)."""),
}


def shared(values: dict) -> dict:
    """The shared parameters among ``values`` (a subclass ``__init__``'s ``locals()``),
    to hand on to the base ``__init__``, which stores them."""
    return {name: values[name] for name in _DOCS}


def shared_parameters_doc(cls) -> str:
    """The numpydoc entries of the shared parameters, with the defaults of ``cls``'s
    signature, indented for a class docstring."""
    signature = inspect.signature(cls.__init__).parameters
    entries = []
    for name, (kind, text) in _DOCS.items():
        default = signature[name].default
        shown = f'"{default}"' if isinstance(default, str) else repr(default)
        entries.append(f"    {name} : {kind}, default={shown}")
        if text.strip():
            entries.append(textwrap.indent(textwrap.dedent(text).strip(), " " * 8))
    return "\n".join(entries).lstrip()


#: Entries of parameters that some estimators share, filled in where a docstring says
#: ``%(name)s``; ``$parameter`` stands for the estimator's default of that parameter.
_SOME = {
    "memory": """memory : str or path-like or joblib.Memory or None, default=None
        A folder (as ``Pipeline(memory=)``) where the frozen backbone's features
        are cached per image, keyed by the backbone, its weights, the input size,
        the preprocessing and the image's content: every later fit, fold, trial
        and prediction with the same backbone re-uses them, in any process
        sharing the folder (see :mod:`toonsklearn.features`). Used while the
        backbone is frozen; with ``augment`` the network trains on new pixels each
        epoch, so then only predictions use it. ``model_`` itself, saved or
        exported, takes raw pixels and needs no cache.""",
    "scratch_network": """architecture : {"simple", "alexnet", "zfnet"} or None, default=None
        A preset network from the seed notebooks, or None for one built from
        ``filters``, ``kernel_size``, ``convs_per_block`` and ``pooling`` (whose
        defaults make the ``"simple"`` preset; a preset refuses changes to them).
        ``dense_units``, ``dropout`` and ``l2`` apply to presets too.
    filters : tuple of int, default=(32, 64, 128)
        Filters of each block: one block per entry.
    kernel_size : int, default=3
        Side of the square kernel of every convolution.
    convs_per_block : int, default=2
        Convolutions (each followed by batch norm and ReLU) in each block, before
        its max pooling.
    dense_units : int or tuple of int or None, default=None
        Dense layers before the output; None adds none (or a preset's own).
    dropout : float, default=$dropout
        Dropout after every block, and before every dense layer and the output.
    l2 : float, default=0.0
        L2 penalty on the kernels of the convolutions and dense layers.
    pooling : {"avg", "flatten"}, default="avg"
        How the last feature maps become the head's input: ``"avg"`` averages
        each map (global average pooling); ``"flatten"`` keeps every value, and
        so where things are, at the cost of many more weights.""",
}


def document_parameters(cls):
    """Put the shared parameters where the class docstring says ``%(shared_parameters)s``,
    and the entries of ``_SOME`` where it names them (``$parameter`` in them taking the
    class's default)."""
    if cls.__doc__ is None:  # python -OO
        return cls
    defaults = {name: repr(parameter.default) for name, parameter
                in inspect.signature(cls.__init__).parameters.items()}
    some = {name: string.Template(text).safe_substitute(defaults)
            for name, text in _SOME.items()}
    cls.__doc__ = fill_doc(cls.__doc__, {"shared_parameters": shared_parameters_doc(cls),
                                         **some})
    return cls
