"""Per-label thresholds on multi-label models: given, checked and tuned."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from keras_helpers import toons
from toonsklearn import CNNClassifier, MultiLabelCNN
from toonsklearn.tuning import tune_thresholds


def tiny_multilabel(**params):
    return MultiLabelCNN(**{"filters": (4,), "convs_per_block": 1, "epochs": 3,
                            "batch_size": 8, "learning_rate": 0.01,
                            "validation_fraction": 0.0, "early_stopping": None,
                            "random_state": 0, **params})


def rare_label_data(seed):
    """Two labels, the second on about one image in six."""
    X, Y = toons(72, size=8, task="multilabel", seed=seed)
    rng = np.random.default_rng(seed)
    Y = Y.copy()
    Y[:, 1] = Y[:, 1] & (rng.random(len(Y)) < 0.35)
    return X, Y


def test_tuned_thresholds_beat_one_half_on_a_rare_label():
    X, Y = rare_label_data(0)
    X_test, Y_test = rare_label_data(1)
    plain = tiny_multilabel().fit(X, Y)
    tuned = tune_thresholds(tiny_multilabel(), X, Y, cv=3)
    assert len(tuned.threshold) == 2 and tuned.threshold[1] < 0.5
    plain_f1 = f1_score(Y_test, plain.predict(X_test), average="macro", zero_division=0)
    tuned_f1 = f1_score(Y_test, tuned.predict(X_test), average="macro", zero_division=0)
    assert tuned_f1 > plain_f1


def test_one_threshold_per_label_applies_in_classes_order():
    X, Y = toons(32, size=8, task="multilabel")
    clf = tiny_multilabel(threshold=[0.0, 1.0]).fit(X, Y)
    predicted = clf.predict(X)
    assert predicted[:, 0].all() and not predicted[:, 1][clf.predict_proba(X)[:, 1] < 1].any()
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), predicted)
    assert again.set_params(threshold=[1.0, 0.0]).predict(X)[:, 1].all()


def test_label_names_come_from_a_dataframes_columns_and_from_label_sets():
    X, Y = toons(32, size=8, task="multilabel")
    frame = pd.DataFrame(Y, columns=["tom", "jerry"])
    assert list(tiny_multilabel(epochs=1).fit(X, frame).classes_) == ["tom", "jerry"]
    sets = [{name for name, on in zip(["jerry", "tom"], row, strict=True) if on} for row in Y]
    assert list(tiny_multilabel(epochs=1).fit(X, sets).classes_) == ["jerry", "tom"]


def test_tuning_label_sets_refits_on_the_sets():
    X, Y = toons(32, size=8, task="multilabel")
    sets = [{name for name, on in zip(["jerry", "tom"], row, strict=True) if on} for row in Y]
    tuned = tune_thresholds(tiny_multilabel(epochs=1), X, sets, cv=2)
    assert list(tuned.classes_) == ["jerry", "tom"] and len(tuned.threshold) == 2


@pytest.mark.parametrize("threshold, match", [([0.5, 0.5, 0.5], "one value per label: 2"),
                                              ([0.5, 1.5], r"in \[0, 1\]"),
                                              ([[0.5, 0.5]], "one value per label"),
                                              (["a", "b"], "float or one float per"),
                                              ({"tom": 0.3}, "float or one float per")])
def test_a_bad_threshold_is_refused_before_training(threshold, match):
    X, Y = toons(32, size=8, task="multilabel")
    clf = tiny_multilabel(threshold=threshold)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y)
    assert not hasattr(clf, "model_")


def test_the_best_threshold_is_the_best_scoring_candidate_nearest_one_half():
    from toonsklearn._targets import best_threshold, metric_function, threshold_scores

    def best(truth, proba):
        return best_threshold(*threshold_scores(truth, proba, metric_function("f1")))

    truth = np.array([0, 0, 0, 1, 1])
    proba = np.array([0.05, 0.1, 0.2, 0.3, 0.4])  # a rare label: never 0.5
    assert best(truth, proba) == pytest.approx(0.3)
    assert best(np.zeros(5, int), proba) == 0.5  # all tie at 0


def test_tune_thresholds_refuses_what_it_cannot_tune():
    X, Y = toons(32, size=8, task="multilabel")
    with pytest.raises(TypeError, match="received CNNClassifier"):
        tune_thresholds(CNNClassifier(), X, Y)
    with pytest.raises(ValueError, match="TunedThresholdClassifierCV"):
        tune_thresholds(tiny_multilabel(), X, Y[:, 0])
    with pytest.raises(ValueError, match="metric must be one of"):
        tune_thresholds(tiny_multilabel(), X, Y, metric="auc")
    with pytest.raises(ValueError, match="metric must be one of"):
        tune_thresholds(tiny_multilabel(), X, Y, metric=["f1"])
    from sklearn.model_selection import ShuffleSplit
    with pytest.raises(ValueError, match="out of every test fold"):
        tune_thresholds(tiny_multilabel(epochs=1), X, Y, cv=ShuffleSplit(1, test_size=0.25))


def test_a_group_splitter_keeps_each_group_in_one_fold():
    from sklearn.model_selection import GroupKFold

    X, Y = toons(32, size=8, task="multilabel")
    groups = np.repeat(np.arange(4), 8)  # four "episodes" of eight frames
    with pytest.raises(ValueError, match="groups"):
        tune_thresholds(tiny_multilabel(epochs=1), X, Y, cv=GroupKFold(2))
    tuned = tune_thresholds(tiny_multilabel(epochs=1), X, Y, cv=GroupKFold(2), groups=groups)
    assert len(tuned.threshold) == 2


def test_one_threshold_per_label_is_refused_for_one_label_per_image():
    X, Y = toons(32, size=8, task="multilabel")
    clf = tiny_multilabel(threshold=[0.3, 0.7])
    with pytest.raises(ValueError, match="one label per image"):
        clf.fit(X, Y[:, 0])
    assert not hasattr(clf, "model_")
