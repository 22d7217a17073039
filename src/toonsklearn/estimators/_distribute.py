"""Training on several devices: the ``distribution_strategy`` parameter.

The parameter is a name or a zero-argument callable, never a ``tf.distribute.Strategy``
itself: a strategy holds devices and threads, so it neither pickles nor clones, and
estimator parameters must do both. Each ``fit`` builds its strategy and creates the
model, optimizer and metrics under its scope; Keras then splits every ``tf.data`` batch
across the replicas. The fitted model keeps its strategy for the rest of the process;
pickled, it loads and predicts on one device. ``partial_fit`` trains under the strategy
the parameter names at the time: a model built under another (on one device after
unpickling, or before ``set_params(distribution_strategy=...)``) is rebuilt under it
with its weights, and a new optimizer (see :func:`follow_strategy`).
"""

from __future__ import annotations

import contextlib
import functools

import keras
import tensorflow as tf
from sklearn.utils._param_validation import InvalidParameterError

from ..exceptions import TrainingDataError

__all__ = ["STRATEGIES", "batch", "follow_strategy", "strategy_scope"]

#: The names ``distribution_strategy`` takes, and what each builds.
STRATEGIES = {"mirrored": "tf.distribute.MirroredStrategy over every GPU, else every CPU "
                          "device TensorFlow shows (one, unless configured otherwise)"}

_MULTI_WORKER = (
    "Keras 3 cannot train with MultiWorkerMirroredStrategy (keras-team/keras issue "
    "20585). Use distribution_strategy='mirrored' for the devices of one machine, and "
    "spread a search over machines with joblib's dask backend or an Optuna storage "
    "instead (see the Scaling up page of the user guide)."
)


_BUILT: dict = {}  # devices -> their MirroredStrategy, one per process


def _mirrored() -> tf.distribute.Strategy:
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    names = tuple(device.name for device in devices)
    if names not in _BUILT:
        _BUILT[names] = tf.distribute.MirroredStrategy(list(names))
    return _BUILT[names]


def _build(spec, owner: str) -> tf.distribute.Strategy:
    """The strategy that ``spec`` (a name or a zero-argument callable) stands for."""
    if isinstance(spec, str):
        if spec.lower().replace("_", "").removesuffix("strategy") == "multiworkermirrored":
            raise InvalidParameterError(_MULTI_WORKER)
        if spec not in STRATEGIES:
            raise InvalidParameterError(
                f"{owner}: unknown distribution_strategy {spec!r}; use None (one device), "
                f"{', '.join(map(repr, STRATEGIES))}, or a zero-argument callable that "
                "returns a tf.distribute.Strategy."
            )
        return _mirrored()
    if isinstance(spec, tf.distribute.Strategy):
        raise InvalidParameterError(
            f"{owner}: distribution_strategy must be a name or a zero-argument callable, "
            f"not a {type(spec).__name__} instance, which cannot be pickled or cloned. "
            "Pass distribution_strategy='mirrored', or e.g. functools.partial("
            "tf.distribute.MirroredStrategy, devices=['/gpu:0', '/gpu:1'])."
        )
    target = spec.func if isinstance(spec, functools.partial) else spec
    if isinstance(target, type) and issubclass(target, tf.distribute.MultiWorkerMirroredStrategy):
        raise InvalidParameterError(_MULTI_WORKER)  # before building one, which sets up a cluster
    strategy = spec()
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        raise InvalidParameterError(_MULTI_WORKER)
    if not isinstance(strategy, tf.distribute.Strategy):
        raise InvalidParameterError(
            f"{owner}: distribution_strategy() returned {strategy!r}; it must return a "
            "tf.distribute.Strategy."
        )
    return strategy


def strategy_scope(est, model=None):
    """The scope a fit creates its model in, per ``est.distribution_strategy``.

    With ``model`` (one already built, for another ``partial_fit`` epoch), the scope of
    the strategy it was built under: Keras refuses to compile a model under another.
    """
    if model is not None:
        built = getattr(model, "_distribute_strategy", None)
        return contextlib.nullcontext() if built is None else built.scope()
    spec = getattr(est, "distribution_strategy", None)
    if spec is None:
        return contextlib.nullcontext()
    return _build(spec, type(est).__name__).scope()


def follow_strategy(est, model):
    """``model`` rebuilt with its weights under the strategy ``est.distribution_strategy``
    names, when it was built under another; None when it needs no move.

    A model built under a strategy of a callable stays under it: each call of the
    callable builds a new strategy, which cannot be told from the old one. The rebuilt
    model is not compiled: its optimizer's state (Adam's moments) starts afresh.
    """
    built = getattr(model, "_distribute_strategy", None)
    spec = getattr(est, "distribution_strategy", None)
    if spec is None:
        if built is None:
            return None
        scope = contextlib.nullcontext()
    else:
        strategy = _build(spec, type(est).__name__)
        if built is strategy or (built is not None and not isinstance(spec, str)):
            return None
        scope = strategy.scope()
    with scope:
        moved = keras.models.clone_model(model)
        moved.set_weights(model.get_weights())
    return moved


def batch(dataset: tf.data.Dataset, n: int, batch_size: int, *,
          training: bool = True) -> tf.data.Dataset:
    """``dataset.batch(batch_size)``, with batches that the replicas of the strategy in
    scope can share, if there is one and the batches are for ``fit`` (``n`` is the
    dataset's length).

    A replica given no image fails (in a convolution, in BatchNorm), so no batch is
    smaller than the number of replicas: fewer images to predict than replicas are
    padded with copies of the last, whose outputs the caller drops. For training and
    validation, Keras also builds a distributed model from the first batch's
    per-replica parts, which must have one shape: so that batch is a multiple of the
    replicas.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas == 1 or n == 0:
        return dataset.batch(batch_size)
    if training:
        sizes = _shared_sizes(n, batch_size, replicas)
    else:  # no device may go without an image; the caller keeps the first n outputs
        if n < replicas:
            dataset = dataset.concatenate(dataset.skip(n - 1).repeat(replicas - n))
        sizes = _covering_sizes(max(n, replicas), batch_size, replicas)
    return dataset.batch(n).rebatch(sizes).apply(  # Keras counts the steps of an epoch
        tf.data.experimental.assert_cardinality(len(sizes)))


def _covering_sizes(n: int, batch_size: int, replicas: int) -> list[int]:
    """Batch sizes summing to ``n`` (at least ``replicas``), none smaller than
    ``replicas``: for predictions, whose parts may differ in shape."""
    step = max(batch_size, replicas)
    sizes = [step] * (n // step) + ([n % step] if n % step else [])
    if len(sizes) > 1 and sizes[-1] < replicas:
        sizes[-2:] = [sizes[-2] + sizes[-1]]
    return sizes


def _shared_sizes(n: int, batch_size: int, replicas: int) -> list[int]:
    """Batch sizes summing to ``n``: ``batch_size`` rounded down to a multiple of
    ``replicas``, the first a multiple of them, none smaller than ``replicas``."""
    if n % replicas and n < 2 * replicas:
        raise TrainingDataError(
            f"{n} images cannot be shared by the {replicas} devices of "
            f"distribution_strategy: every device needs an image of each batch, and of the "
            f"first batch the same number. Train (and validate, and partial_fit) on at "
            f"least {2 * replicas} images at a time, or a multiple of {replicas}; when the "
            "validation split is the small one, raise validation_fraction or set it to 0."
        )
    sizes = _covering_sizes(n, batch_size // replicas * replicas, replicas)
    if sizes[0] % replicas:  # one batch, or a last one merged into the first: split anew
        first = (n - replicas) // replicas * replicas
        sizes = [first, n - first]
    return sizes
