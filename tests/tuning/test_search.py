"""``OptunaSearchCV`` (toonsklearn/tuning/_search.py) on real studies and real Keras fits: the
GridSearchCV surface, what optuna-integration's search gets wrong, and the search spaces
and parameters it refuses."""

import pickle

import joblib
import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from tests.keras_helpers import toons
from tests.tuning.conftest import LR, InOrder, search, tiny_cnn
from toonsklearn import ImageTransformer
from toonsklearn.tuning import OptunaSearchCV

# --- the GridSearchCV surface ----------------------------------------------------------


def test_fit_gives_the_grid_search_surface_and_delegates_to_the_best_estimator():
    X, y = toons(32, size=8)
    s = search(n_trials=2).fit(X, y)
    table = pd.DataFrame(s.cv_results_)
    assert len(table) == 2 and list(table["trial_number"]) == [0, 1]
    assert set(table["trial_state"]) <= {"COMPLETE", "PRUNED"}
    assert {"mean_test_score", "split0_test_score", "rank_test_score",
            "param_learning_rate", "mean_fit_time"} <= set(table.columns)
    assert s.best_score_ == table["mean_test_score"].max()
    assert s.best_params_ == s.cv_results_["params"][s.best_index_]
    assert s.best_estimator_.learning_rate == s.best_params_["learning_rate"]
    np.testing.assert_array_equal(s.predict(X), s.best_estimator_.predict(X))
    np.testing.assert_allclose(s.predict_proba(X), s.best_estimator_.predict_proba(X))
    assert s.score(X, y) == s.best_estimator_.score(X, y)
    assert is_classifier(s) and s.__sklearn_tags__().estimator_type == "classifier"
    assert [t.number for t in s.study_.trials] == [0, 1]


def test_a_fitted_search_pickles_and_its_clone_is_unfitted():
    X, y = toons(32, size=8)
    s = search(n_trials=2).fit(X, y)
    again = pickle.loads(pickle.dumps(s))
    np.testing.assert_allclose(again.predict_proba(X), s.predict_proba(X))
    assert len(again.study_.trials) == 2
    fresh = clone(s)
    assert not hasattr(fresh, "study_") and fresh.get_params()["n_trials"] == 2


def test_a_pipeline_ending_in_an_estimator_is_searched_and_pruned_with_step_prefixes():
    X, y = toons(32, size=16)
    pipe = make_pipeline(ImageTransformer(size=(8, 8)), tiny_cnn(epochs=3))
    s = search(pipe, {"cnnclassifier__learning_rate": LR["learning_rate"]}, n_trials=4,
               sampler=InOrder([0.01, 0.02, 50.0, 0.01]),
               pruner=optuna.pruners.MedianPruner(n_startup_trials=2)).fit(X, y)
    assert s.study_.trials[2].state == optuna.trial.TrialState.PRUNED
    assert s.best_estimator_.steps[-1][1].learning_rate != 50.0


def test_multiple_metrics_optimise_the_one_refit_names():
    X, y = toons(32, size=8)
    s = search(scoring=["accuracy", "f1_macro"], refit="f1_macro", n_trials=2).fit(X, y)
    assert {"mean_test_accuracy", "mean_test_f1_macro"} <= set(s.cv_results_)
    assert [t.value for t in s.study_.trials] == list(s.cv_results_["mean_test_f1_macro"])
    with pytest.raises(ValueError, match="refit must name the one Optuna maximises"):
        search(scoring=["accuracy", "f1_macro"], refit=False).fit(X, y)


def test_a_trial_failing_in_every_fold_is_marked_failed_and_the_search_goes_on():
    X, y = toons(40, size=8)
    flat = X.reshape(len(X), -1) / 255.0
    s = OptunaSearchCV(LogisticRegression(max_iter=200),
                       {"C": CategoricalDistribution((-1.0, 1.0))}, n_trials=2, cv=2,
                       sampler=InOrder([-1.0, 1.0]))
    with pytest.warns(FitFailedWarning, match="Trial 0 failed in every fold"):
        s.fit(flat, y)
    assert list(s.cv_results_["trial_number"]) == [1]
    assert s.best_params_ == {"C": 1.0}
    assert s.study_.trials[0].state == optuna.trial.TrialState.FAIL
    every = OptunaSearchCV(LogisticRegression(), {"C": CategoricalDistribution((-1.0,))},
                           n_trials=2, cv=2)
    with pytest.warns(FitFailedWarning), pytest.raises(ValueError, match="Every trial failed"):
        every.fit(flat, y)


def test_verbose_writes_one_line_per_finished_trial_and_optuna_logs_nothing(capsys):
    X, y = toons(32, size=8)
    search(verbose=1, n_trials=2).fit(X, y)
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.startswith("[OptunaSearchCV]")]
    assert len(lines) == 2 and "trial 1" in lines[1] and "best" in lines[1]
    assert "learning_rate" in lines[0]
    assert "A new study created" not in err and "Trial 0 finished" not in err


def test_n_jobs_with_a_pruner_warns_that_folds_run_here():
    X, y = toons(32, size=8)
    with pytest.warns(UserWarning, match="n_jobs=2 has no effect"):
        search(n_trials=1, n_jobs=2).fit(X, y)


def test_without_keras_epochs_folds_run_in_parallel_processes():
    X, y = toons(40, size=4)
    s = OptunaSearchCV(LogisticRegression(max_iter=300), {"C": FloatDistribution(0.01, 10)},
                       n_trials=2, cv=2, n_jobs=2, random_state=0).fit(X.reshape(40, -1), y)
    assert len(s.cv_results_["params"]) == 2


# --- what optuna-integration's search gets wrong ----------------------------------------


class RecordsItsData(ClassifierMixin, BaseEstimator):
    """A real classifier (the majority class) that remembers which rows it was fit on."""

    seen: list = []

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        RecordsItsData.seen.append(joblib.hash(np.asarray(X)))
        self.dummy_ = DummyClassifier().fit(X, y)
        self.classes_ = self.dummy_.classes_
        return self

    def predict(self, X):
        return self.dummy_.predict(X)


def test_every_trial_is_scored_on_the_same_splits_even_with_a_shuffling_cv():
    X, y = toons(30, size=4)
    RecordsItsData.seen = []
    OptunaSearchCV(RecordsItsData(), {"alpha": FloatDistribution(0.1, 1.0)}, n_trials=4,
                   cv=KFold(3, shuffle=True), refit=False).fit(X.reshape(30, -1), y)
    per_trial = [tuple(RecordsItsData.seen[i:i + 3]) for i in range(0, 12, 3)]
    assert len(set(per_trial)) == 1 and len(set(per_trial[0])) == 3


def test_each_fit_has_its_own_study(tmp_path):
    X, y = toons(32, size=8)
    s = search(n_trials=2, storage=tmp_path / "s.journal", refit=False)
    first = s.fit(X, y).study_.study_name
    second = s.fit(X, y).study_
    assert second.study_name != first and [t.number for t in second.trials] == [0, 1]


def test_a_splitter_given_as_a_generator_is_drawn_once():
    X, y = toons(32, size=8)
    s = search(n_trials=2, cv=KFold(2, shuffle=True, random_state=0).split(X)).fit(X, y)
    assert s.n_splits_ == 2 and len(s.cv_results_["params"]) == 2


def test_n_trials_none_runs_until_the_timeout_and_needs_one():
    X, y = toons(32, size=8)
    s = search(n_trials=None, timeout=1.0).fit(X, y)
    assert len(s.cv_results_["params"]) >= 1
    with pytest.raises(ValueError, match="set timeout="):
        search(n_trials=None).fit(X, y)


def test_a_callable_scoring_with_several_metrics_maximises_the_one_refit_names():
    X, y = toons(32, size=8)

    def two(estimator, X, y):
        right = estimator.predict(X) == y
        return {"right": right.mean(), "wrong": 1 - right.mean()}

    s = search(scoring=two, refit="wrong", n_trials=2).fit(X, y)
    assert [t.value for t in s.study_.trials] == list(s.cv_results_["mean_test_wrong"])


def test_nested_cross_validation_gives_each_outer_fold_its_own_study(tmp_path):
    X, y = toons(48, size=8)
    journal = tmp_path / "nested.journal"
    # One trial each: one study shared by both outer folds would hold it alone.
    scores = cross_val_score(search(n_trials=1, storage=journal), X, y, cv=2)
    assert scores.shape == (2,)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal)))
    studies = optuna.get_all_study_summaries(storage)
    assert len(studies) == 2 and all(summary.n_trials == 1 for summary in studies)


def test_a_named_study_refuses_other_data_so_nested_folds_cannot_share_it(tmp_path):
    X, y = toons(48, size=8)
    named = search(n_trials=1, storage=tmp_path / "s.journal", study_name="toons")
    with pytest.raises(ValueError, match="'toons'.*started on other data.*study_name=None"):
        cross_val_score(named, X, y, cv=2, error_score="raise")


def test_a_study_name_needs_a_storage():
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="storage="):
        search(study_name="toons").fit(X, y)


# --- bad input -----------------------------------------------------------------------------


def test_bad_search_spaces_name_what_is_wrong():
    X, y = toons(32, size=8)
    with pytest.raises(TypeError, match="Optuna distributions.*'learning_rate': \\[0.1"):
        search(space={"learning_rate": [0.1, 0.01]}).fit(X, y)
    with pytest.raises(ValueError, match=r"\['learning_rte'\] that CNNClassifier does not"):
        search(space={"learning_rte": LR["learning_rate"]}).fit(X, y)
    with pytest.raises(ValueError, match="n_trials"):
        search(n_trials=0).fit(X, y)
