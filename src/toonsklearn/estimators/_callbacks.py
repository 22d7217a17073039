"""The callbacks an estimator adds for its user, listed by name in one place.

``"checkpoint"`` backs up every epoch to ``checkpoint_dir/<fit>/<phase>`` (when
``checkpoint_dir`` is set; see :mod:`._checkpoint`) and ``"early_stopping"`` stops
when the monitored loss stops improving and restores the best weights (when
``early_stopping`` is set), and with ``verbose`` says at the end of each phase whether
it stopped and which epoch it kept; ``"progress"`` writes one plain line per epoch when
``verbose`` is on and the output is not a terminal, where Keras' bar would fill a log
file with the control characters it redraws its line with. The
``callbacks`` parameter adds the user's own: a list runs after these; a dict replaces
the callback of each name it gives (``None`` turns one off) and adds the other names.

A search adds its own to every fit inside :func:`added_callbacks` (a trial's per-epoch
report), without touching any estimator's parameters.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import time

import keras
from sklearn.utils._param_validation import InvalidParameterError

from ._checkpoint import Checkpoint

__all__ = ["DEFAULT_CALLBACKS", "added_callbacks", "announce_fit", "announce_step",
           "callbacks_for"]

#: Names of the callbacks an estimator may add, in the order they run.
DEFAULT_CALLBACKS = ("checkpoint", "early_stopping", "progress")


class PlainProgress(keras.callbacks.Callback):
    """One line per epoch on standard output: the epoch, its time and its logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        stats = "".join(f" - {name}: {value:.4f}" for name, value in (logs or {}).items())
        seconds = time.perf_counter() - self._start
        # The verbose output the user asked for, as Keras' own progress bar writes it.
        sys.stdout.write(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {seconds:.1f}s"
                         f"{stats}\n")
        sys.stdout.flush()


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' early stopping, which with ``report=True`` ends each phase with a line
    saying whether it stopped the fit and whose weights it kept, epochs numbered as
    Keras prints them: a fit that runs all its epochs says why (the loss was still
    improving, or under ``lr_schedule="cosine"`` it watched only the second half)."""

    def __init__(self, *, report: bool = False, first_epoch: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.report = report
        self.first_epoch = first_epoch  # the phase's initial_epoch

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.last_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self.last_epoch = epoch

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self.report and self.last_epoch is not None:
            sys.stdout.write(self.summary() + "\n")
            sys.stdout.flush()

    def summary(self) -> str:
        """What early stopping did in the phase that just ended, in one line."""
        epochs, last = self.params.get("epochs"), self.last_epoch + 1
        watched = (f", watching from epoch {self.start_from_epoch + 1} on (the rates of "
                   "the cosine schedule's first half make it jump)"
                   if self.start_from_epoch > self.first_epoch else "")
        if self.best_weights is None:
            return (f"Early stopping: {last}/{epochs} epochs, none watched{watched}; kept "
                    f"the weights of epoch {last}.")
        best = self.best_epoch + 1
        if self.stopped_epoch:
            return (f"Early stopping: {self.monitor} did not improve for {self.patience} "
                    f"epochs after epoch {best}{watched}; stopped after epoch "
                    f"{last}/{epochs}, kept the weights of epoch {best}.")
        return (f"Early stopping did not stop: {self.monitor} last improved at epoch "
                f"{best}, fewer than {self.patience} (the patience) epochs before the last, "
                f"{last}/{epochs}{watched}; kept the weights of epoch {best}.")


def announce_step(verbose, text: str) -> None:
    """When ``verbose``, say on a line of its own what the long step about to start does
    (``"Computing backbone features of 1234 images"``), before Keras' bar or line for
    it, which names no step."""
    if verbose:
        sys.stdout.write(f"{text}\n")
        sys.stdout.flush()


def predict_verbose(verbose) -> int:
    """Keras' ``verbose`` for a long ``predict`` (feature extraction): a bar on a
    terminal, one line at the end in a log, nothing when ``verbose`` is off."""
    if not verbose:
        return 0
    return 2 if plain_progress(verbose) else 1


def plain_progress(verbose) -> bool:
    """Whether ``verbose`` output goes to a log rather than a terminal or a notebook."""
    if not verbose:
        return False
    is_terminal = getattr(sys.stdout, "isatty", lambda: False)()
    return not is_terminal and "ipykernel" not in sys.modules


def _defaults(est, has_validation: bool, phase: str, first_epoch: int) -> dict:
    callbacks = {}
    backups = getattr(est, "_backup_dir", None)  # this fit's own, inside checkpoint_dir
    if est.checkpoint_dir is not None and backups is not None:
        callbacks["checkpoint"] = Checkpoint(os.path.join(backups, phase),
                                             first_epoch=first_epoch)
    if est.early_stopping:
        patience = 10 if est.early_stopping is True else int(est.early_stopping)
        callbacks["early_stopping"] = EarlyStopping(
            monitor="val_loss" if has_validation else "loss",
            patience=patience, restore_best_weights=True,
            start_from_epoch=first_epoch + _settling_epochs(est, phase),
            first_epoch=first_epoch, report=bool(est.verbose),
        )
    if plain_progress(est.verbose):
        callbacks["progress"] = PlainProgress()
    return callbacks


def _settling_epochs(est, phase: str) -> int:
    """Epochs early stopping lets pass before it watches: under ``lr_schedule="cosine"``
    the first half of the phase, whose high rates make the validation loss jump from
    epoch to epoch (the best of those epochs is rarely the best of the fit); else none."""
    if est.lr_schedule != "cosine":
        return 0
    return (est.fine_tune_epochs if phase == "fine_tune" else est.epochs) // 2


def _named(callbacks):
    """``(name, callback)`` pairs of a ``callbacks`` value: a dict's keys, a list's indices."""
    return callbacks.items() if isinstance(callbacks, dict) else enumerate(callbacks or [])


def check_callbacks(callbacks) -> None:
    """Refuse a ``callbacks`` value that is not a list of callbacks, or a dict of names to
    a callback or None."""
    for name, callback in _named(callbacks):
        if callback is None and isinstance(callbacks, dict):
            if name not in DEFAULT_CALLBACKS:
                raise InvalidParameterError(
                    f"callbacks={{{name!r}: None}} turns off no callback: the default ones "
                    f"are named {list(DEFAULT_CALLBACKS)}."
                )
        elif not isinstance(callback, keras.callbacks.Callback):
            raise InvalidParameterError(
                f"callbacks[{name!r}] must be a keras.callbacks.Callback"
                f"{' or None' if isinstance(callbacks, dict) else ''}; received {callback!r}."
            )


def refuse_rate_callbacks(callbacks) -> None:
    """A callback that sets the rate cannot run while ``lr_schedule`` sets it: Keras would
    fail when it first fires, epochs into the fit."""
    for name, callback in _named(callbacks):
        if isinstance(callback, (keras.callbacks.ReduceLROnPlateau,
                                 keras.callbacks.LearningRateScheduler)):
            raise InvalidParameterError(
                f"callbacks[{name!r}] is a {type(callback).__name__}, which sets the "
                "learning rate, while lr_schedule='cosine' sets it too; pass "
                "lr_schedule='constant' to let the callback set it."
            )


_ADDED: contextvars.ContextVar[tuple] = contextvars.ContextVar("toonsklearn_added",
                                                                default=())


@contextlib.contextmanager
def added_callbacks(make):
    """Within this block (in this thread), every training phase of every fit also runs
    the callbacks ``make(estimator, phase)`` returns, after the estimator's own; each fit
    first calls ``make(estimator, None)`` (see :func:`announce_fit`)."""
    token = _ADDED.set((*_ADDED.get(), make))
    try:
        yield
    finally:
        _ADDED.reset(token)


def announce_fit(est) -> None:
    """Tell each enclosing :func:`added_callbacks` that ``est`` begins a fit, before any
    work: ``make(est, None)`` may raise to skip the fit."""
    for make in _ADDED.get():
        make(est, None)


def callbacks_for(est, has_validation: bool, phase: str = "train", *,
                  first_epoch: int = 0) -> list:
    """The callbacks of one training phase: the named defaults, then the user's, then
    those of an enclosing :func:`added_callbacks`. ``first_epoch`` is the Keras epoch
    the phase starts from (``model.fit``'s ``initial_epoch``: the epochs of the fit's
    earlier phases)."""
    callbacks = _defaults(est, has_validation, phase, first_epoch)
    if isinstance(est.callbacks, dict):
        for name, callback in est.callbacks.items():
            callbacks.pop(name, None)
            if callback is not None:
                callbacks[name] = callback
        ours = list(callbacks.values())
    else:
        ours = list(callbacks.values()) + list(est.callbacks or [])
    return ours + [callback for make in _ADDED.get() for callback in make(est, phase)]
