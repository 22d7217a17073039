"""Pruning (toonsklearn/tuning/_pruning.py): each fold reports its epochs to the trial, a
pruned trial stops mid-fold and skips its other folds, and nothing reports outside a
search."""

import keras
import numpy as np
import optuna
import pandas as pd

from tests.keras_helpers import toons
from tests.tuning.conftest import InOrder, search, tiny_cnn
from toonsklearn.tuning._pruning import FOLD_STEPS


class CountsFits(keras.callbacks.Callback):
    """Counts every Keras fit, in whichever copy of the estimator it runs."""

    fits = 0

    def on_train_begin(self, logs=None):
        type(self).fits += 1


def test_a_bad_trial_is_pruned_before_its_last_epoch_and_its_other_folds_are_skipped():
    X, y = toons(40, size=8)
    CountsFits.fits = 0
    s = search(tiny_cnn(epochs=4, callbacks=[CountsFits()]), n_trials=3, cv=3,
               sampler=InOrder([0.01, 0.02, 50.0]),
               pruner=optuna.pruners.MedianPruner(n_startup_trials=2)).fit(X, y)
    pruned = [t for t in s.study_.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert CountsFits.fits == 3 * len(s.study_.trials) - 2 * len(pruned) + 1  # + the refit
    bad = s.study_.trials[2]
    assert bad.params == {"learning_rate": 50.0}
    assert bad.state == optuna.trial.TrialState.PRUNED
    assert max(bad.intermediate_values) < 3  # stopped in fold 0, before epoch 4 of 4
    complete = s.study_.trials[0]
    assert sorted(complete.intermediate_values) == [
        fold * FOLD_STEPS + epoch for fold in range(3) for epoch in range(4)]
    table = pd.DataFrame(s.cv_results_)
    assert table.loc[2, "trial_state"] == "PRUNED" and np.isnan(table.loc[2, "mean_test_score"])
    assert table.loc[2, "rank_test_score"] == table["rank_test_score"].max()
    assert s.best_params_["learning_rate"] != 50.0


def test_pruning_every_trial_after_the_first_never_aborts_the_search():
    X, y = toons(32, size=8)
    s = search(n_trials=3, sampler=InOrder([0.01, 50.0, 60.0]),
               pruner=optuna.pruners.MedianPruner(n_startup_trials=1)).fit(X, y)
    assert list(s.cv_results_["trial_state"]) == ["COMPLETE", "PRUNED", "PRUNED"]
    assert s.best_index_ == 0 and hasattr(s, "best_estimator_")


def test_nothing_reports_to_a_trial_outside_the_search():
    from toonsklearn.estimators._callbacks import callbacks_for

    X, y = toons(32, size=8)
    s = search(n_trials=2).fit(X, y)
    assert len(s.best_estimator_.history_) == 2  # the refit ran all its epochs
    assert callbacks_for(tiny_cnn(), True) == []  # no reporter left behind


def test_the_default_pruner_spares_each_folds_first_epochs_and_tpe_gets_to_propose():
    from toonsklearn.tuning._sampler import TrialSeededTPE

    X, y = toons(40, size=8)
    # With four trials as with seven, the default pruner waits for two (a third of
    # n_trials, at least 2): two good rates, then two bad ones.
    s = search(tiny_cnn(epochs=4), n_trials=4, cv=2,
               sampler=InOrder([0.01, 0.02, 50.0, 60.0])).fit(X, y)
    pruned = [t for t in s.study_.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned  # the bad rates are pruned...
    assert all(t.last_step % FOLD_STEPS >= 2 for t in pruned)  # ...never in a first epoch
    # The sampler is chosen from n_trials as the study opens: the timeout stops the search
    # after its first trial instead of running all seven.
    default = search(n_trials=7, refit=False, timeout=1.0).fit(X, y)
    assert isinstance(default.study_.sampler, TrialSeededTPE)
    assert default.study_.sampler.n_startup_trials == 2  # TPE proposes trials 2 to 6
