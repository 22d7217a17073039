"""How an estimator trains its Keras model: seeding, the validation split, compiling,
the fit loop over ``tf.data`` batches, and the per-epoch history."""

from __future__ import annotations

import contextlib
import math
import random
import threading
from numbers import Integral

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras.src.backend.common import global_state  # Keras' global seed generator
from keras.src.random import seed_generator as keras_seeds  # layers' default seeds
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import InvalidParameterError
from tensorflow.python.eager import context as tf_context  # the global seed, to restore
from tensorflow.python.framework import config as tf_config  # op determinism switches

from ..augment import augmentation_layers
from ..exceptions import TrainingDataError
from ..losses import training_loss
from ._callbacks import (
    PlainProgress,
    callbacks_for,
    plain_progress,
    predict_verbose,
    refuse_rate_callbacks,
)
from ._checkpoint import Checkpoint
from ._data import ImageSource, make_dataset

#: The batch sizes ``batch_size="auto"`` picks from, and the steps an epoch it aims for.
AUTO_BATCH_SIZES = (8, 16, 32)
AUTO_STEPS = 10


def auto_batch_size(n_train: int) -> int:
    """The batch size of ``batch_size="auto"`` for ``n_train`` training images.

    The largest of 8, 16 and 32 that still gives :data:`AUTO_STEPS` steps an epoch, and
    8 when none does: a few hundred drawings then train on ten or more updates an
    epoch, not one or two of 32, and BatchNorm still sees 8 images a batch. From 320
    images on it is 32, Keras' own default.
    """
    fitting = [size for size in AUTO_BATCH_SIZES if n_train // size >= AUTO_STEPS]
    return max(fitting, default=AUTO_BATCH_SIZES[0])


class TrainingMixin:
    """The training loop of :class:`~toonsklearn.estimators._base.ImageClassifierBase`.

    Subclasses may override ``_train`` (how the model is fitted, e.g. a head on
    features, then fine-tuning) and ``_stratify`` (what the validation split keeps in
    proportion).
    """

    def _seeded(self):
        """Seed Python, NumPy, TensorFlow and Keras, with deterministic ops, for this fit."""
        self._random_state = fit_seed(self.random_state)
        if self._random_state is None:
            return contextlib.nullcontext()
        return _deterministic(self._random_state)

    def _stratify(self, y):
        """Labels to stratify the validation split by, or None."""
        return column_or_1d(y)

    def _set_batch_size(self, n_train: int, *, reset: bool) -> None:
        """Record in ``batch_size_`` the images a batch of this fit: ``batch_size``, or
        for ``"auto"`` the size :func:`auto_batch_size` picks for ``n_train`` training
        images (later ``partial_fit`` calls keep the size the first one picked)."""
        if self.batch_size != "auto":
            self.batch_size_ = int(self.batch_size)
        elif reset or getattr(self, "batch_size_", None) is None:
            self.batch_size_ = auto_batch_size(n_train)

    def _batch_images(self) -> int:
        """Images a batch: ``batch_size_`` once fitted; before (a model built by
        ``initialize``), ``batch_size``, or the largest automatic size for ``"auto"``."""
        fitted = getattr(self, "batch_size_", None)
        if fitted is not None:
            return fitted
        return self.batch_size if isinstance(self.batch_size, Integral) else AUTO_BATCH_SIZES[-1]

    def _split(self, n: int, y) -> tuple[np.ndarray, np.ndarray]:
        """Indices for training and for validation: stratified when the classes allow it,
        and every class keeps at least one training image."""
        indices = np.arange(n)
        n_val = math.ceil(n * self.validation_fraction)
        if n_val == 0:
            return indices, indices[:0]
        labels = self._stratify(y)
        if labels is not None:
            _check_room_for_every_class(labels, n - n_val, self.validation_fraction)
        if n - n_val < 1:
            return indices, indices[:0]
        try:
            train, val = train_test_split(indices, test_size=n_val, stratify=labels,
                                          random_state=self._random_state)
        except ValueError:  # a class too small to stratify
            train, val = train_test_split(indices, test_size=n_val,
                                          random_state=self._random_state)
        if labels is not None:
            train, val = _give_every_class_a_training_image(labels, train, val)
        else:
            train, val = self._give_every_label_a_training_image(y, train, val)
        return np.sort(train), np.sort(val)

    def _give_every_label_a_training_image(self, y, train, val):
        """For targets without single labels (multi-label): by default, nothing to do."""
        return train, val

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

    def _make_optimizer(self, learning_rate) -> keras.optimizers.Optimizer:
        spec = self.optimizer
        try:
            optimizer = spec() if isinstance(spec, type) else keras.optimizers.get(spec)
        except ValueError:
            raise InvalidParameterError(
                f"Unknown optimizer {spec!r}; use a Keras optimizer name such as 'adam', "
                "'sgd', 'rmsprop' or 'adamw', or a keras.optimizers.Optimizer."
            ) from None
        config = optimizer.get_config()
        config["learning_rate"] = learning_rate
        return type(optimizer).from_config(config)

    def _compile(self, learning_rate: float, model: keras.Model | None = None,
                 steps_per_execution: int = 1, *, n_train: int | None = None,
                 epochs: int | None = None) -> None:
        """Compile with a new optimizer and the loss of the fitted target. A fit phase
        gives how many images and epochs it trains on, so that ``lr_schedule`` can plan
        its steps; without them the rate stays constant (``partial_fit``, ``lr_find``)."""
        _, _, loss, metrics = self._output_spec()
        if n_train is not None and self.lr_schedule == "cosine":
            learning_rate = self._cosine_schedule(
                learning_rate, math.ceil(n_train / self._batch_images()) * epochs)
        (model or self.model_).compile(
            optimizer=self._make_optimizer(learning_rate),
            loss=training_loss(loss, self.label_smoothing), metrics=metrics,
            steps_per_execution=steps_per_execution)

    @staticmethod
    def _needs_compiling(model: keras.Model) -> bool:
        """Whether ``partial_fit`` must compile ``model`` afresh: when it has no optimizer
        (a head trained on features leaves it uncompiled) or a scheduled one, whose rate
        has run down to 0 by the end of the fit; ``partial_fit`` trains at the constant
        ``learning_rate``."""
        if not model.compiled:
            return True
        return isinstance(getattr(model.optimizer, "_learning_rate", None),
                          keras.optimizers.schedules.LearningRateSchedule)

    def _cosine_schedule(self, peak: float, steps: int):
        """Warm up linearly from ``peak / 10`` over the first tenth of ``steps``, then
        decay along a cosine to 0 at the last step."""
        refuse_rate_callbacks(self.callbacks)
        warmup = steps // 10
        return keras.optimizers.schedules.CosineDecay(
            peak / 10, max(steps - warmup, 1), alpha=0.0, warmup_target=peak,
            warmup_steps=warmup)

    def _callbacks(self, has_validation: bool, phase: str = "train") -> list:
        """The named default callbacks of one training phase, then the user's."""
        return callbacks_for(self, has_validation, phase, first_epoch=self.current_epoch)

    def _progress_callbacks(self) -> list:
        """Just the ``"progress"`` callback, where it writes (``partial_fit``'s epoch)."""
        return [PlainProgress()] if plain_progress(self.verbose) else []

    def _keras_verbose(self) -> int:
        """Keras' own ``verbose``: silent where our ``"progress"`` callback writes."""
        return 0 if plain_progress(self.verbose) else self.verbose

    def _predict_verbose(self) -> int:
        """Keras' ``verbose`` for a long ``predict`` inside a fit (feature extraction)."""
        return predict_verbose(self.verbose)

    def _build_and_train(self, source, y_model, weights, train_idx, val_idx) -> None:
        """Build ``model_`` and train it (``fit``'s work once the data is checked)."""
        self.model_ = self._build_keras_model()
        self._train(source, y_model, weights, train_idx, val_idx)

    def _train(self, source, y_model, weights, train_idx, val_idx) -> None:
        """Compile ``model_`` and fit it; sets ``history_``."""
        self._compile(self.learning_rate, n_train=len(train_idx), epochs=self.epochs)
        self._fit_model(self.model_, source, y_model, weights, train_idx, val_idx, self.epochs)

    def _fit_model(self, model, source, y_model, weights, train_idx, val_idx, epochs,
                   callbacks=None, phase: str = "train") -> None:
        """``model.fit`` over tf.data pipelines; appends to ``history_``.

        A phase that continues a fit (fine-tuning after the head, another
        ``partial_fit``) goes on counting from the epochs before it, so Keras prints
        ``Epoch 31/35`` for what ``history_`` numbers 31.
        """
        validation = (
            self._dataset(source, val_idx, y_model, weights) if len(val_idx) else None
        )
        if callbacks is None:
            callbacks = self._callbacks(validation is not None, phase)
        first_epoch = self.current_epoch
        with source.our_errors():
            history = model.fit(
                self._dataset(source, train_idx, y_model, weights, shuffle=True),
                validation_data=validation,
                initial_epoch=first_epoch,
                epochs=first_epoch + epochs,
                callbacks=callbacks,
                verbose=self._keras_verbose(),
                shuffle=False,  # the dataset shuffles itself
            )
        self._append_history(history, callbacks, phase, first_epoch=first_epoch)

    def _append_history(self, history: keras.callbacks.History, callbacks=(),
                        phase: str = "train", *, first_epoch: int = 0) -> None:
        """Add a phase's epochs to ``history_`` and record which epoch's weights were
        kept: the best one early stopping restored, else the last.

        Epochs are numbered from 1, as Keras prints them (``Epoch 3/30``), across the
        phases of one fit: the index of ``history_`` and ``best_epoch_`` (so
        ``history_.loc[best_epoch_]`` is the kept epoch's row). The ``phase`` column
        tells the phases apart: ``"train"`` (the whole network), ``"head"`` (a head on
        frozen-backbone features), ``"fine_tune"``. ``first_epoch`` is the Keras epoch
        the phase started from (``model.fit``'s ``initial_epoch``).
        """
        new = pd.DataFrame(history.history)
        checkpoint = next((c for c in callbacks if isinstance(c, Checkpoint)), None)
        if checkpoint is not None and checkpoint.earlier_rows:  # a resumed fit
            new = pd.concat([pd.DataFrame(checkpoint.earlier_rows), new], ignore_index=True)
        new["phase"] = phase
        previous = getattr(self, "history_", None)
        start = 0 if previous is None else len(previous)
        self.history_ = new if previous is None else pd.concat([previous, new],
                                                               ignore_index=True)
        self.history_.index = pd.RangeIndex(1, len(self.history_) + 1, name="epoch")
        self.best_epoch_ = len(self.history_)
        stopper = next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)
                        and c.restore_best_weights and c.best_weights is not None), None)
        if stopper is not None and stopper.best_epoch in history.epoch:
            # Keras counts from 0 (from first_epoch); history_ from 1 after earlier phases
            self.best_epoch_ = start + stopper.best_epoch - first_epoch + 1
        self.history_["best"] = self.history_.index == self.best_epoch_

    def _dataset(self, source: ImageSource, indices, y=None, weights=None, *, shuffle=False):
        return make_dataset(source, indices, self._batch_images(), y=y, weights=weights,
                            shuffle=shuffle, seed=self._random_state)


@contextlib.contextmanager
def separate_seeds(est, part: str):
    """Draw the default seeds of the layers built inside from a generator of their own,
    seeded by the fit's seed and ``part``: a part of a network (the head over a
    backbone) then starts from the same weights whether or not the rest was built
    before it. Nothing changes in an unseeded fit."""
    seed = getattr(est, "_random_state", None)
    if seed is None:
        yield
        return
    saved = getattr(_KERAS_RANDOM.own, "generator", None)
    _KERAS_RANDOM.own.generator = random.Random(f"{seed}:{part}")
    try:
        yield
    finally:
        _KERAS_RANDOM.own.generator = saved


def _check_room_for_every_class(labels, n_train: int, validation_fraction: float) -> None:
    classes, counts = np.unique(labels, return_counts=True)
    if n_train < len(classes):
        starved = classes[np.argsort(counts, kind="stable")][: len(classes) - max(n_train, 0)]
        raise TrainingDataError(
            f"validation_fraction={validation_fraction} leaves {max(n_train, 0)} training "
            f"images for {len(classes)} classes, so class {_plain(starved[0])!r} would have "
            "none. Lower validation_fraction (0 monitors the training loss) or add images."
        )


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _give_every_class_a_training_image(labels, train, val):
    """Move one image of each class missing from ``train`` out of ``val``, and in its
    place a training image of the class that has the most."""
    classes = np.unique(labels)
    missing = classes[~np.isin(classes, labels[train])]
    train, val = list(train), list(val)
    for cls in missing:
        moved = next(i for i in val if labels[i] == cls)
        counts = {c: sum(labels[i] == c for i in train) for c in np.unique(labels[train])}
        richest = max(counts, key=counts.get)
        back = next(i for i in train if labels[i] == richest)
        val.remove(moved)
        train.remove(back)
        train.append(moved)
        val.append(back)
    return np.asarray(train, dtype=np.intp), np.asarray(val, dtype=np.intp)


class _ThreadRandom:
    """Python's ``random`` for Keras' default seeds, except in a thread whose seeded fit
    set a generator of its own: other threads' draws then cannot change its seeds."""

    def __init__(self):
        self.own = threading.local()

    def __getattr__(self, name):
        return getattr(getattr(self.own, "generator", None) or random, name)


_KERAS_RANDOM = _ThreadRandom()
keras_seeds.python_random = _KERAS_RANDOM  # Keras draws layers' seeds through it

# Seeds and op determinism are process-wide switches: seeded fits take turns, so two of
# them in two threads cannot reseed each other halfway.
_SEEDED_FIT = threading.RLock()
_KERAS_SEED_STATE = ("global_random_seed", "global_seed_generator")  # Keras' own globals


def fit_seed(random_state) -> int | None:
    """The integer seed of a fit for ``random_state`` (an int, a ``RandomState`` drawn
    from once, or None for an unseeded fit)."""
    if random_state is None:
        return None
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31))


@contextlib.contextmanager
def _deterministic(seed: int):
    """Seed every generator and turn on TensorFlow's op determinism; on exit put back
    what the caller had: Python's, NumPy's, TensorFlow's and Keras' seeds and states,
    and the determinism switch.

    scikeras' ``tensorflow_random_state`` sets ``TF_DETERMINISTIC_OPS`` before asking
    whether determinism was on, so it never turns it off again, and the caller's later
    unseeded Keras code fails; hence this context.

    Keras draws the seed of every initializer and layer given none from Python's global
    ``random``, which other threads may draw from meanwhile (a dask worker's event loop
    does): in this thread Keras draws from a generator of its own, seeded as ``random``
    would be, while other threads go on drawing from ``random``.
    """
    with _SEEDED_FIT:
        python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
        tf_seed, tf_rng = tf_context.global_seed(), getattr(tf_context.context(), "_rng", None)
        keras_state = {key: global_state.get_global_attribute(key) for key in _KERAS_SEED_STATE}
        was_deterministic = tf_config.is_op_determinism_enabled()
        keras.utils.set_random_seed(seed)
        tf_config.enable_op_determinism()
        own_random = getattr(_KERAS_RANDOM.own, "generator", None)
        _KERAS_RANDOM.own.generator = random.Random(seed)
        try:
            yield
        finally:
            _KERAS_RANDOM.own.generator = own_random
            if not was_deterministic:
                tf_config.disable_op_determinism()
            tf.random.set_seed(tf_seed)
            if tf_rng is not None:  # the caller's stream of op seeds goes on, not over
                tf_context.context()._rng = tf_rng
            for key, value in keras_state.items():
                global_state.set_global_attribute(key, value)
            random.setstate(python_state)
            np.random.set_state(numpy_state)  # noqa: NPY002 (the legacy state Keras seeds)
