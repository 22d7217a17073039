"""The learning-rate range test: train briefly while the rate grows exponentially, and
read a good rate off the loss curve (Smith 2017; fastai's ``lr_find``)."""

from __future__ import annotations

import math
import secrets
import warnings
from numbers import Integral, Real

import keras
import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import Interval, InvalidParameterError, validate_params

from ..estimators._base import ImageClassifierBase, final_step
from ..exceptions import ToonsklearnWarning, TrainingDataError, user_stacklevel

__all__ = ["LRFinderResult", "lr_find"]


class LRFinderResult:
    """What :func:`~toonsklearn.tuning.lr_find` measured.

    Parameters
    ----------
    learning_rates : array-like of shape (n_steps,)
        The rate of each training step.
    losses : array-like of shape (n_steps,)
        The smoothed training loss after each step.
    suggestion : float or None
        The suggested learning rate; None when the loss never fell.

    Attributes
    ----------
    learning_rates : ndarray of shape (n_steps,)
        The rate of each training step.
    losses : ndarray of shape (n_steps,)
        The smoothed training loss after each step.
    suggestion : float or None
        The rate where the smoothed loss fell fastest (its steepest descent against the
        logarithm of the rate, before its lowest point), as fastai's finder suggests;
        None when the loss never fell by a twentieth (no rate of the range trained the
        network).

    See Also
    --------
    toonsklearn.plotting.LRFinderDisplay : Draws it: ``LRFinderDisplay.from_result(result)``.

    Examples
    --------
    >>> from toonsklearn.tuning import LRFinderResult
    >>> result = LRFinderResult([1e-4, 1e-3, 1e-2, 1e-1], [0.9, 0.6, 0.4, 1.5], 1e-4)
    >>> result
    LRFinderResult(suggestion=0.0001, 4 steps)
    >>> LRFinderResult([1e-4, 1e-3], [0.9, 0.95], None)  # the loss never fell
    LRFinderResult(suggestion=None, 2 steps)
    """

    def __init__(self, learning_rates, losses, suggestion: float | None):
        self.learning_rates = np.asarray(learning_rates, dtype=float)
        self.losses = np.asarray(losses, dtype=float)
        self.suggestion = None if suggestion is None else float(suggestion)

    def __repr__(self) -> str:
        shown = "None" if self.suggestion is None else f"{self.suggestion:.3g}"
        return f"LRFinderResult(suggestion={shown}, {len(self.learning_rates)} steps)"


class _Ramp(keras.callbacks.Callback):
    """Raise the rate exponentially each step; record the smoothed loss; stop when it
    diverges."""

    def __init__(self, start: float, end: float, steps: int, smoothing: float,
                 diverge: float):
        super().__init__()
        self.rates = np.geomspace(start, end, steps)
        self.smoothing, self.diverge = smoothing, diverge
        self.losses: list[float] = []
        self._average = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        step = len(self.losses)
        if step >= len(self.rates):
            self.model.stop_training = True
            return
        self.model.optimizer.learning_rate = float(self.rates[step])
        self.model.reset_metrics()  # the logs then hold this batch's loss, not the epoch's

    def on_train_batch_end(self, batch, logs=None):
        if len(self.losses) >= len(self.rates):
            return
        loss = float((logs or {}).get("loss", math.nan))
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing ** (len(self.losses) + 1))
        self.losses.append(smoothed)
        if not math.isfinite(smoothed) or smoothed > self.diverge * min(self.losses):
            self.model.stop_training = True


@validate_params(
    {
        "start_lr": [Interval(Real, 0, None, closed="neither")],
        "end_lr": [Interval(Real, 0, None, closed="neither")],
        "num_steps": [Interval(Integral, 2, 10_000, closed="both")],
        "smoothing": [Interval(Real, 0, 1, closed="left")],
        "diverge": [Interval(Real, 1, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def lr_find(estimator, X, y, *, start_lr: float = 1e-7, end_lr: float = 10.0,
            num_steps: int = 200, smoothing: float = 0.98,
            diverge: float = 4.0) -> LRFinderResult:
    """Find a learning rate with the range test: a short training while the rate grows.

    Trains a clone of ``estimator``'s network (as its ``fit`` would: the same data
    pipeline, augmentation and frozen layers) for ``num_steps`` batches, the rate rising
    exponentially from ``start_lr`` to ``end_lr``, and stops early once the smoothed loss
    exceeds ``diverge`` times its lowest value. ``estimator`` stays unfitted; its
    ``random_state`` seeds the run (a fresh seed when None), and the caller's seeds and
    random streams are put back after.

    Parameters
    ----------
    estimator : CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
        The estimator, or a Pipeline ending in one (its other steps are fitted on
        ``X`` and transform it first).
    X : array-like
        Images or file paths, as for ``fit``.
    y : array-like
        Targets, as for ``fit``.
    start_lr, end_lr : float, default=1e-7 and 10.0
        The range of rates.
    num_steps : int, default=200
        Training steps (batches) at most, up to 10,000; the data repeats as needed.
    smoothing : float, default=0.98
        Weight of the running average of the loss.
    diverge : float, default=4.0
        Stop once the smoothed loss exceeds this many times its minimum.

    Returns
    -------
    result : LRFinderResult
        ``learning_rates``, ``losses`` and ``suggestion``: the rate where the smoothed
        loss fell fastest (its steepest descent, as fastai's finder suggests). When the
        loss never fell by a twentieth of its first value, ``suggestion`` is None and a
        ``ToonsklearnWarning`` says so: no rate of the range trained the network in
        ``num_steps`` steps (more steps, a wider range or other data may).

    Examples
    --------
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.tuning import lr_find
    >>> X, y = make_toons(32, image_size=8, random_state=0)
    >>> found = lr_find(CNNClassifier(filters=(4,), batch_size=8, random_state=0), X, y,
    ...                 num_steps=20)
    >>> found.suggestion is None or 1e-7 < found.suggestion < 10
    True
    """
    _, final = final_step(estimator)
    if not isinstance(final, ImageClassifierBase):
        raise InvalidParameterError(
            "lr_find trains the Keras network of a CNNClassifier, TransferClassifier or "
            f"MultiLabelCNN (or a Pipeline ending in one); received {type(final).__name__}."
        )
    if end_lr <= start_lr:
        raise InvalidParameterError(
            f"end_lr ({end_lr}) must be larger than start_lr ({start_lr}).")
    est = clone(final)
    est._validate_params()
    if est.random_state is None:  # seed anyway, so the caller's streams are put back
        est.random_state = secrets.randbelow(2**31)
    ramp = _Ramp(start_lr, end_lr, num_steps, smoothing, diverge)
    with est._seeded():
        while isinstance(estimator, Pipeline):  # nested ones too
            X = clone(estimator[:-1]).fit_transform(X, y)
            estimator = estimator[-1]
        source, y_model, weights = est._prepare_fit(X, y, None)
        est._set_batch_size(len(source), reset=True)  # the batches fit would train on
        est.model_ = est._build_keras_model()
        est._compile(start_lr)
        batches = est._dataset(source, np.arange(len(source)), y_model, weights,
                               shuffle=True)
        with source.our_errors():
            est.model_.fit(batches.repeat(), steps_per_epoch=num_steps, epochs=1,
                           callbacks=[ramp], verbose=0, shuffle=False)
    losses = np.asarray(ramp.losses)
    rates = ramp.rates[:len(losses)]
    finite = np.isfinite(losses)
    if not finite.any():
        raise TrainingDataError(
            f"The loss was not finite from the first step at learning rate {start_lr:g}; "
            "lower start_lr or check the data."
        )
    return LRFinderResult(rates, losses, _steepest_descent(rates, losses))


#: How far the smoothed loss must fall below its first value for a suggestion.
_FALL = 0.05


def _steepest_descent(rates: np.ndarray, losses: np.ndarray) -> float | None:
    """The rate where the smoothed loss falls fastest against log(rate), between the end
    of the running average's noisy start (the first tenth of the steps) and the lowest
    loss (after it the loss turns up), over windows of a twentieth of the steps; None,
    with a warning, when the loss never falls below its value after the start."""
    finite = np.where(np.isfinite(losses), losses, np.inf)
    skip = len(losses) // 10
    lowest = skip + int(np.argmin(finite[skip:]))
    if lowest == skip or finite[lowest] > (1 - _FALL) * losses[skip]:
        warnings.warn(
            f"The loss never fell in the range test (from {losses[skip]:.4g}, at best "
            f"{finite[lowest]:.4g}, over {len(losses)} steps from learning rate "
            f"{rates[0]:.3g} to {rates[-1]:.3g}), so lr_find suggests no rate. Raise "
            "num_steps or end_lr, or check that the data can be learnt.",
            ToonsklearnWarning, stacklevel=user_stacklevel())
        return None
    window = max(1, min(len(losses) // 20, lowest - skip))
    log_rates = np.log(rates)
    starts = np.arange(skip, lowest - window + 1)
    slopes = ((finite[starts + window] - finite[starts])
              / (log_rates[starts + window] - log_rates[starts]))
    return float(rates[int(starts[np.argmin(slopes)]) + window // 2])
