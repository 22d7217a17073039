"""OptunaSearchCV on real studies (in memory, journal file, SQLite) and real Keras fits."""

import os
import pickle
import subprocess
import sys
import textwrap
import time

import joblib
import keras
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

from keras_helpers import toons
from toonsklearn import CNNClassifier, ImageTransformer, MultiLabelCNN, TransferClassifier
from toonsklearn.tuning import OptunaSearchCV, default_search_space
from toonsklearn.tuning._pruning import FOLD_STEPS

LR = {"learning_rate": FloatDistribution(1e-3, 100.0, log=True)}


def tiny_cnn(**params):
    return CNNClassifier(**{"filters": (4,), "convs_per_block": 1, "epochs": 2,
                            "batch_size": 8, "validation_fraction": 0.25,
                            "early_stopping": None, "random_state": 0, **params})


class InOrder(optuna.samplers.BaseSampler):
    """A real Optuna sampler that proposes the given values in turn (trial n gets n)."""

    def __init__(self, values):
        self.values = values

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.values[trial.number % len(self.values)]


def search(estimator=None, space=LR, **params):
    return OptunaSearchCV(tiny_cnn() if estimator is None else estimator, space,
                          **{"n_trials": 3, "cv": 2, "random_state": 0, **params})


# --- the GridSearchCV surface ----------------------------------------------------------


def test_fit_gives_the_grid_search_surface_and_delegates_to_the_best_estimator():
    X, y = toons(32, size=8)
    s = search().fit(X, y)
    table = pd.DataFrame(s.cv_results_)
    assert len(table) == 3 and list(table["trial_number"]) == [0, 1, 2]
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
    assert [t.number for t in s.study_.trials] == [0, 1, 2]


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
    s = search(n_trials=2, storage=tmp_path / "s.journal")
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
    scores = cross_val_score(search(n_trials=2, storage=journal), X, y, cv=2)
    assert scores.shape == (2,)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal)))
    studies = optuna.get_all_study_summaries(storage)
    assert len(studies) == 2 and all(summary.n_trials == 2 for summary in studies)


def test_a_named_study_refuses_other_data_so_nested_folds_cannot_share_it(tmp_path):
    X, y = toons(48, size=8)
    named = search(n_trials=1, storage=tmp_path / "s.journal", study_name="toons")
    with pytest.raises(ValueError, match="'toons'.*started on other data.*study_name=None"):
        cross_val_score(named, X, y, cv=2, error_score="raise")


def test_a_study_name_needs_a_storage():
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="storage="):
        search(study_name="toons").fit(X, y)


# --- pruning -----------------------------------------------------------------------------


class CountsFits(keras.callbacks.Callback):
    """Counts every Keras fit, in whichever copy of the estimator it runs."""

    fits = 0

    def on_train_begin(self, logs=None):
        type(self).fits += 1


def test_a_bad_trial_is_pruned_before_its_last_epoch_and_its_other_folds_are_skipped():
    X, y = toons(40, size=8)
    CountsFits.fits = 0
    s = search(tiny_cnn(epochs=4, callbacks=[CountsFits()]), n_trials=4, cv=3,
               sampler=InOrder([0.01, 0.02, 0.015, 50.0]),
               pruner=optuna.pruners.MedianPruner(n_startup_trials=2)).fit(X, y)
    pruned = [t for t in s.study_.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert CountsFits.fits == 3 * len(s.study_.trials) - 2 * len(pruned) + 1  # + the refit
    bad = s.study_.trials[3]
    assert bad.params == {"learning_rate": 50.0}
    assert bad.state == optuna.trial.TrialState.PRUNED
    assert max(bad.intermediate_values) < 3  # stopped in fold 0, before epoch 4 of 4
    complete = s.study_.trials[0]
    assert sorted(complete.intermediate_values) == [
        fold * FOLD_STEPS + epoch for fold in range(3) for epoch in range(4)]
    table = pd.DataFrame(s.cv_results_)
    assert table.loc[3, "trial_state"] == "PRUNED" and np.isnan(table.loc[3, "mean_test_score"])
    assert table.loc[3, "rank_test_score"] == table["rank_test_score"].max()
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


def test_n_jobs_with_a_pruner_warns_that_folds_run_here():
    X, y = toons(32, size=8)
    with pytest.warns(UserWarning, match="n_jobs=2 has no effect"):
        search(n_trials=1, n_jobs=2).fit(X, y)


def test_without_keras_epochs_folds_run_in_parallel_processes():
    X, y = toons(40, size=4)
    s = OptunaSearchCV(LogisticRegression(max_iter=300), {"C": FloatDistribution(0.01, 10)},
                       n_trials=2, cv=2, n_jobs=2, random_state=0).fit(X.reshape(40, -1), y)
    assert len(s.cv_results_["params"]) == 2


# --- storage and resume ----------------------------------------------------------------


@pytest.mark.parametrize("storage", ["journal", "sqlite"])
def test_a_named_study_resumes_and_n_trials_counts_the_study(tmp_path, storage):
    url = (tmp_path / "s.journal" if storage == "journal"
           else f"sqlite:///{tmp_path / 's.db'}")
    X, y = toons(32, size=8)
    first = search(n_trials=2, storage=url, study_name="toons").fit(X, y)
    resumed = search(n_trials=3, storage=url, study_name="toons").fit(X, y)
    assert list(resumed.cv_results_["trial_number"]) == [0, 1, 2]
    np.testing.assert_allclose(resumed.cv_results_["mean_test_score"][:2],
                               first.cv_results_["mean_test_score"], equal_nan=True)
    assert len(resumed.study_.trials) == 3
    done = search(n_trials=3, storage=url, study_name="toons").fit(X, y)
    assert len(done.study_.trials) == 3  # nothing left: the best is only fitted again
    assert done.best_params_ == resumed.best_params_ == done.study_.best_params
    np.testing.assert_array_equal(done.cv_results_["mean_test_score"],
                                  resumed.cv_results_["mean_test_score"])
    with pytest.raises(ValueError, match="started on other search space"):
        search(space={"dropout": FloatDistribution(0.0, 0.5)}, n_trials=4, storage=url,
               study_name="toons").fit(X, y)


CRASHING_SEARCH = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from test_tuning import search
    from keras_helpers import toons
    X, y = toons(32, size=8)
    search(n_trials=int(sys.argv[3]), storage=sys.argv[2], study_name="crash").fit(X, y)
""")


def test_a_search_killed_mid_way_continues_with_the_trials_done(tmp_path):
    journal = str(tmp_path / "crash.journal")
    child = subprocess.Popen([sys.executable, "-c", CRASHING_SEARCH,
                              os.path.dirname(__file__), journal, "50"])
    storage = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.5)
            if not os.path.exists(journal):
                continue
            storage = optuna.storages.JournalStorage(
                optuna.storages.journal.JournalFileBackend(journal))
            studies = optuna.get_all_study_summaries(storage)
            if studies and len([t for t in optuna.load_study(
                    study_name="crash", storage=storage).trials if t.state.is_finished()]) >= 2:
                break
    finally:
        child.kill()
        child.wait()
    assert child.returncode != 0, "the search ended before it was killed"
    before = optuna.load_study(study_name="crash", storage=storage).trials
    finished = [t.number for t in before if t.state.is_finished()]
    assert len(finished) >= 2
    X, y = toons(32, size=8)
    resumed = search(n_trials=len(finished) + 1, storage=journal, study_name="crash").fit(X, y)
    numbers = list(resumed.cv_results_["trial_number"])
    assert numbers[:len(finished)] == finished and len(numbers) == len(finished) + 1
    assert numbers[-1] > max(t.number for t in before)  # a new trial, not a re-run


# --- the search space and bad input -------------------------------------------------------


def test_default_search_space_for_each_estimator():
    transfer = default_search_space(TransferClassifier())
    assert {"backbone", "fine_tune_layers", "learning_rate", "dropout"} <= set(transfer)
    assert "efficientnet_lite0" in transfer["backbone"].choices
    assert transfer["learning_rate"].log
    assert "backbone" not in default_search_space(MultiLabelCNN())
    piped = default_search_space(make_pipeline(ImageTransformer(), CNNClassifier()))
    assert all(name.startswith("cnnclassifier__") for name in piped)
    with pytest.raises(TypeError, match="CNNClassifier, TransferClassifier and MultiLabelCNN"):
        default_search_space(LogisticRegression())


def test_the_default_space_is_searched_when_none_is_given():
    X, y = toons(32, size=8)
    s = OptunaSearchCV(tiny_cnn(), n_trials=1, cv=2, random_state=0).fit(X, y)
    assert set(s.best_params_) == set(default_search_space(tiny_cnn()))


def test_bad_search_spaces_name_what_is_wrong():
    X, y = toons(32, size=8)
    with pytest.raises(TypeError, match="Optuna distributions.*'learning_rate': \\[0.1"):
        search(space={"learning_rate": [0.1, 0.01]}).fit(X, y)
    with pytest.raises(ValueError, match=r"\['learning_rte'\] that CNNClassifier does not"):
        search(space={"learning_rte": LR["learning_rate"]}).fit(X, y)
    with pytest.raises(ValueError, match="n_trials"):
        search(n_trials=0).fit(X, y)


def test_the_same_seed_proposes_the_same_trials():
    X, y = toons(32, size=8)
    first = search(n_trials=2, random_state=3).fit(X, y).cv_results_["params"]
    again = search(n_trials=2, random_state=3).fit(X, y).cv_results_["params"]
    assert first == again


@pytest.mark.parametrize("kind", ["folder", "fifo", "broken link", "csv"])
def test_a_storage_path_that_is_not_a_journal_is_refused_and_left_as_it_was(tmp_path, kind):
    path = tmp_path / "storage"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken link":
        path.symlink_to(tmp_path / "gone")
    else:
        path.write_text("filename,tom\na.png,1\n")
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="not a regular file|other than an Optuna journal"):
        search(storage=path, study_name="toons").fit(X, y)
    if kind == "csv":
        assert path.read_text() == "filename,tom\na.png,1\n"


@pytest.mark.parametrize("storage", ["", "  "])
def test_an_empty_storage_is_refused(storage):
    X, y = toons(32, size=8)
    unfitted = search(storage=storage, study_name="toons")
    with pytest.raises(ValueError, match="is empty: pass the path of an Optuna journal"):
        unfitted.fit(X, y)
    assert not hasattr(unfitted, "study_")


def test_storage_of_the_wrong_type_is_refused():
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="storage"):
        search(storage=123).fit(X, y)


def test_searches_sharing_a_study_and_a_seed_propose_other_candidates(tmp_path):
    # A second machine joins with the same random_state: a sampler seeded once per
    # process would propose the first machine's candidates again.
    X, y = toons(32, size=8)
    storage = tmp_path / "shared.journal"
    first = search(n_trials=2, storage=storage, study_name="toons", refit=False).fit(X, y)
    first_rates = [trial.params["learning_rate"] for trial in first.study_.trials]
    joined = search(n_trials=4, storage=storage, study_name="toons", refit=False).fit(X, y)
    rates = [trial.params["learning_rate"] for trial in joined.study_.trials]
    assert rates[:2] == first_rates and len(set(rates)) == 4


def test_a_database_url_opens_with_heartbeats_and_a_storage_object_is_used_as_given(tmp_path):
    X, y = toons(32, size=8)
    url = f"sqlite:///{tmp_path / 'search.db'}"
    fitted = search(n_trials=1, storage=url, study_name="toons", heartbeat_interval=5,
                    refit=False).fit(X, y)
    assert fitted.study_._storage.get_heartbeat_interval() == 5
    again = pickle.loads(pickle.dumps(fitted))  # its study reopens the database
    assert [t.number for t in again.study_.trials] == [0]
    own = optuna.storages.RDBStorage(url)  # no heartbeats: the user's choice
    joined = search(n_trials=2, storage=own, study_name="toons", refit=False)
    assert clone(joined).get_params()["storage"].url == url
    joined.fit(X, y)
    assert joined.study_._storage.get_heartbeat_interval() is None
    assert len(joined.study_.trials) == 2


def test_a_database_that_cannot_be_opened_is_named_without_its_password():
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    X, y = toons(32, size=8)
    unfitted = search(storage=f"postgresql://toons:s3cret@127.0.0.1:{port}/studies",
                      study_name="toons")
    with pytest.raises(ConnectionError, match=r"'postgresql://toons:\*\*\*@127\.0\.0\.1") as info:
        unfitted.fit(X, y)
    assert "s3cret" not in str(info.value) and "server runs" in str(info.value)
    assert not hasattr(unfitted, "study_")


@pytest.mark.parametrize("url, error, match", [
    ("nosuchdb://host/x", ValueError, "SQLAlchemy knows no database 'nosuchdb'"),
    ("mssql+pymssql://u:pw@127.0.0.1/x", ImportError,
     r"needs a database driver for 'mssql\+pymssql'"),
    ("postgresql://toons:s3cret", ValueError, r"'postgresql://toons:\*\*\*' is neither"),
    (" postgresql://toons:s3cret@host/x", ValueError, r"' postgresql://toons:\*\*\*@host/x'"),
    ("postgresql://toons:p@ss@host/x", ValueError, r"written %40"),
    ("sqlite:///{tmp}/no/such/folder/x.db", ConnectionError, "folder exists"),
])
def test_a_bad_database_url_says_what_to_install_or_check(tmp_path, url, error, match):
    X, y = toons(32, size=8)
    with pytest.raises(error, match=match) as info:
        search(storage=url.format(tmp=tmp_path), study_name="toons").fit(X, y)
    assert not [secret for secret in ("s3cret", "pw@", "p@ss") if secret in str(info.value)]


def test_heartbeat_interval_must_be_a_positive_number_of_seconds():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = toons(32, size=8)
    with pytest.raises(InvalidParameterError, match="heartbeat_interval"):
        search(heartbeat_interval=0).fit(X, y)


def test_a_study_created_to_minimise_is_refused(tmp_path):
    storage = tmp_path / "study.journal"
    optuna.create_study(storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(storage))), study_name="toons")
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="minimises; OptunaSearchCV maximises"):
        search(storage=storage, study_name="toons").fit(X, y)
