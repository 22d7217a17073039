"""How the folds of one Optuna trial report their epochs, and stop once it is pruned.

A trial's folds run one after another in the process that holds the trial (a trial
pickled into another process would report into a copy). Fold ``k``'s epoch ``e`` is
reported at step ``k * FOLD_STEPS + e``, so a pruner compares each fold with the same
fold of the other trials; the value is the negated validation loss (the training loss
when the estimator keeps no validation split), so that greater is better, as for the
search's scores. Once pruned, the fold stops at the end of its epoch and each later
fold raises :class:`FoldSkipped` as its fit begins (or, where the search must not
turn it into a failed fit, stops after its first call into the graph).
"""

from __future__ import annotations

import math
import weakref

import keras
import optuna

#: Steps set aside for the epochs of one fold (both phases of a fine-tuned transfer fit).
FOLD_STEPS = 10_000


class FoldMedianPruner(optuna.pruners.BasePruner):
    """Optuna's ``MedianPruner``, with warm-up epochs in every fold.

    A ``MedianPruner``'s ``n_warmup_steps`` spares only the first fold's first epochs
    (fold ``k`` reports from step ``k * FOLD_STEPS``); this one asks it only from each
    fold's epoch ``n_warmup_epochs`` on, as a first epoch's loss says little on small data.
    """

    def __init__(self, n_startup_trials: int = 5, n_warmup_epochs: int = 2):
        self.n_startup_trials = n_startup_trials
        self.n_warmup_epochs = n_warmup_epochs
        self._median = optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials)

    def prune(self, study, trial) -> bool:
        step = trial.last_step
        if step is None or step % FOLD_STEPS < self.n_warmup_epochs:
            return False
        return self._median.prune(study, trial)


class FoldSkipped(Exception):
    """Raised as a fold of a pruned trial begins training: nothing of it is needed."""


class TrialReporter:
    """Gives each training phase of each fold a callback reporting to ``trial``.

    Call it as ``reporter(estimator, phase)``: a search fits every fold on a fresh clone,
    so an estimator not seen before starts the next fold. ``skip_folds`` raises
    :class:`FoldSkipped` for the folds after a pruned one.
    """

    def __init__(self, trial, skip_folds: bool = True):
        self.trial = trial
        self.skip_folds = skip_folds
        self.fold = -1
        self.epochs_done = 0
        self.pruned = False
        self.lost = False  # another process ended the trial (its heartbeat had stopped)
        self._estimator = lambda: None  # a weak reference: the fold's model may go

    def __call__(self, est, phase: str | None) -> list:
        if self._estimator() is not est:
            self._estimator, self.fold, self.epochs_done = weakref.ref(est), self.fold + 1, 0
            if self.pruned and self.skip_folds:
                raise FoldSkipped(f"Trial {self.trial.number} was pruned; fold {self.fold} "
                                  "is skipped.")
        return [] if phase is None else [_EpochReport(self)]

    def report(self, logs: dict) -> None:
        """Report one epoch's loss; decide whether the trial goes on."""
        loss = logs.get("val_loss", logs.get("loss"))
        if loss is None or self.pruned:
            return
        step = self.fold * FOLD_STEPS + self.epochs_done
        self.epochs_done += 1
        value = -float(loss)
        try:
            self.trial.report(value if math.isfinite(value) else -math.inf, step)
        except optuna.exceptions.UpdateFinishedTrialError:
            # Failed by another process: nothing of this trial can be stored any more,
            # so it stops as a pruned one does.
            self.pruned = self.lost = True
            return
        self.pruned = self.trial.should_prune()


class _EpochReport(keras.callbacks.Callback):
    """Reports each epoch to the trial; stops this fit, and every later fold's fit
    after its first call into the graph (a batch; up to 32 for a head on features),
    once the trial is pruned."""

    def __init__(self, reporter: TrialReporter):
        super().__init__()
        self.reporter = reporter

    def on_train_begin(self, logs=None):
        if self.reporter.pruned:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.reporter.report(logs or {})
        if self.reporter.pruned:
            self.model.stop_training = True
