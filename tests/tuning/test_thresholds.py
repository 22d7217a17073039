"""``tune_thresholds`` (toonsklearn/tuning/_thresholds.py): per-label thresholds of a
multi-label model, chosen on out-of-fold predictions."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from tests.keras_helpers import tiny_multilabel, toons
from toonsklearn import CNNClassifier
from toonsklearn.tuning import tune_thresholds


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


def test_tuning_label_sets_refits_on_the_sets():
    X, Y = toons(32, size=8, task="multilabel")
    sets = [{name for name, on in zip(["jerry", "tom"], row, strict=True) if on} for row in Y]
    tuned = tune_thresholds(tiny_multilabel(epochs=1), X, sets, cv=2)
    assert list(tuned.classes_) == ["jerry", "tom"] and len(tuned.threshold) == 2


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
