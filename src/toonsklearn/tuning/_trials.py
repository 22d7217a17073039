"""What a trial leaves behind: its candidate drawn from the search space, its folds as
the study stores them, its row of ``cv_results_`` and its line of ``verbose=1``."""

from __future__ import annotations

import sys

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState
from sklearn.utils._param_validation import InvalidParameterError

from ..exceptions import StorageError

#: Trial states that count towards ``n_trials`` (and, once scored, are in ``cv_results_``).
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
#: The user attribute holding a trial's per-fold results.
FOLDS = "toonsklearn_folds"


def suggest(trial, name: str, distribution: BaseDistribution):
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(name, distribution.low, distribution.high,
                                   step=distribution.step, log=distribution.log)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(name, distribution.low, distribution.high,
                                 step=distribution.step, log=distribution.log)
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    raise InvalidParameterError(f"Unsupported Optuna distribution for {name!r}: {distribution!r}.")


def best_scored_trial(study):
    """The study's best trial with stored folds, else its first one with any."""
    scored = [trial for trial in study.get_trials(deepcopy=False, states=FINISHED)
              if FOLDS in trial.user_attrs]
    if not scored:
        raise StorageError(
            f"Study {study.study_name!r} already holds n_trials finished trials and none "
            "was scored (each failed in every fold); raise n_trials to run more."
        )
    complete = [t for t in scored if t.state == TrialState.COMPLETE]
    return max(complete, key=lambda t: t.value) if complete else scored[0]


def plain_fold(fold: dict, train_scores: bool) -> dict:
    """The parts of one fold's result that ``cv_results_`` needs, as JSON holds them
    (train scores NaN when the fit that stored the fold did not compute them)."""
    def number(value):
        if isinstance(value, dict):
            return {key: float(v) for key, v in value.items()}
        return float(value)

    kept = {key: number(fold[key]) for key in ("test_scores", "fit_time", "score_time")}
    if train_scores:
        kept["train_scores"] = number(fold.get("train_scores", _nan_like(fold["test_scores"])))
    return kept


def _nan_like(scores):
    return {key: np.nan for key in scores} if isinstance(scores, dict) else np.nan


def scored(fold: dict, unscored: bool) -> dict:
    """A fold's result, with NaN scores when its trial was pruned or lost."""
    if not unscored:
        return fold
    return {**fold, **{key: _nan_like(fold[key]) for key in ("test_scores", "train_scores")
                       if key in fold}}


def print_trial(study, trial) -> None:
    """The one line per finished trial of ``verbose=1``."""
    if trial.state == TrialState.PRUNED:
        outcome = f"pruned at step {trial.last_step}"
    elif trial.state == TrialState.COMPLETE:
        outcome = f"score {trial.value:.4f}"
    else:
        outcome = trial.state.name.lower()
    try:
        best = f"best {study.best_value:.4f} (trial {study.best_trial.number})"
    except ValueError:
        best = "no complete trial yet"
    sys.stdout.write(f"[OptunaSearchCV] trial {trial.number} {outcome}; {best}; "
                     f"params {trial.params}\n")
    sys.stdout.flush()
