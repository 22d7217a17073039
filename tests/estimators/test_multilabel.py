"""``MultiLabelCNN`` (toonsklearn/estimators/_multilabel.py): indicator matrices, label
sets and DataFrames as targets; per-label thresholds; a validation split that keeps a
positive training image of every label; its default schedule."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, classification_report, hamming_loss

from tests.keras_helpers import TINY, RatesSeen, tiny_backbone, tiny_multilabel, toons
from toonsklearn import MultiLabelCNN


def test_multilabel_with_an_indicator_matrix_scores_with_sklearn_metrics():
    X, Y = toons(n=64, task="multilabel")
    clf = MultiLabelCNN(filters=(4, 8), **TINY).fit(X, Y)
    predicted = clf.predict(X)
    proba = clf.predict_proba(X)
    assert predicted.shape == proba.shape == (64, 2)
    assert set(np.unique(predicted)) <= {0, 1}
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(predicted, (proba >= 0.5).astype(int))
    report = classification_report(Y, predicted, target_names=["tom", "jerry"],
                                   zero_division=0)
    assert "tom" in report and "samples avg" in report
    assert 0 <= hamming_loss(Y, predicted) <= 1
    assert 0 <= accuracy_score(Y, predicted) <= 1  # subset accuracy


def test_multilabel_from_label_sets_and_threshold():
    X, Y = toons(n=48, task="multilabel")
    sets = [{name for name, on in zip(["tom", "jerry"], row, strict=True) if on} for row in Y]
    clf = MultiLabelCNN(filters=(4,), **TINY).fit(X, sets)
    assert list(clf.classes_) == ["jerry", "tom"]
    np.testing.assert_array_equal(clf.predict(X[:5]).shape, (5, 2))
    assert clf.set_params(threshold=0.0).predict(X).all()
    assert not clf.set_params(threshold=1.0).predict(X).any()


def test_multilabel_with_a_backbone():
    X, Y = toons(n=32, task="multilabel")
    clf = MultiLabelCNN(backbone=tiny_backbone, preprocessing="scale", **TINY).fit(X, Y)
    assert clf.predict_proba(X).shape == (32, 2)
    assert "head" in {layer.name for layer in clf.model_.layers}
    with pytest.raises(ValueError, match="shape \\(n_samples, 2\\)"):
        clf.partial_fit(X, np.zeros((32, 3)))


def test_label_names_come_from_a_dataframes_columns_and_from_label_sets():
    X, Y = toons(32, size=8, task="multilabel")
    frame = pd.DataFrame(Y, columns=["tom", "jerry"])
    assert list(tiny_multilabel(epochs=1).fit(X, frame).classes_) == ["tom", "jerry"]
    sets = [{name for name, on in zip(["jerry", "tom"], row, strict=True) if on} for row in Y]
    assert list(tiny_multilabel(epochs=1).fit(X, sets).classes_) == ["jerry", "tom"]


def test_multilabel_split_keeps_a_positive_training_image_of_every_label():
    X, Y = toons(24, task="multilabel")
    Y = np.column_stack([Y, np.eye(24, 1, -23, dtype=Y.dtype)])  # a label on one image only
    clf = MultiLabelCNN(validation_fraction=0.5)
    clf._encode_target(Y, reset=True)
    for seed in range(5):
        clf._random_state = seed
        train, val = clf._split(len(Y), Y)
        assert Y[train].any(axis=0)[Y.any(axis=0)].all()
        assert not set(train) & set(val)


@pytest.mark.parametrize("network", [dict(filters=(4,), convs_per_block=1),
                                     dict(backbone=tiny_backbone, preprocessing="scale")],
                         ids=["scratch", "frozen backbone"])
def test_multilabel_trains_along_the_cosine_schedule_by_default(network):
    X, Y = toons(task="multilabel")  # 48 images: 6 steps of 8 an epoch, as above
    rates = RatesSeen()
    MultiLabelCNN(callbacks=[rates], **network, **{**TINY, "epochs": 10}).fit(X, Y)
    assert rates.end[0] == pytest.approx(0.01)  # warmed up over the first epoch
    assert all(np.diff(rates.end) < 0)
    assert rates.end[-1] == pytest.approx(0.0, abs=1e-9)


# --- thresholds ----------------------------------------------------------------------------


def test_one_threshold_per_label_applies_in_classes_order():
    X, Y = toons(32, size=8, task="multilabel")
    clf = tiny_multilabel(threshold=[0.0, 1.0]).fit(X, Y)
    predicted = clf.predict(X)
    assert predicted[:, 0].all() and not predicted[:, 1][clf.predict_proba(X)[:, 1] < 1].any()
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), predicted)
    assert again.set_params(threshold=[1.0, 0.0]).predict(X)[:, 1].all()


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


def test_one_threshold_per_label_is_refused_for_one_label_per_image():
    X, Y = toons(32, size=8, task="multilabel")
    clf = tiny_multilabel(threshold=[0.3, 0.7])
    with pytest.raises(ValueError, match="one label per image"):
        clf.fit(X, Y[:, 0])
    assert not hasattr(clf, "model_")


def test_a_dict_class_weight_weighs_the_images_of_each_label_named():
    from sklearn.utils._param_validation import InvalidParameterError

    X, Y = toons(n=64, task="multilabel")
    frame = pd.DataFrame(Y, columns=["tom", "jerry"])

    def proba(**params):
        return tiny_multilabel(epochs=6, lr_schedule="constant", label_smoothing=0.0,
                               **params).fit(X, frame).predict_proba(X)

    plain, jerry, tom = proba(), proba(class_weight={"jerry": 20.0}), proba(
        class_weight={"tom": 20.0})
    # A label weighted up is predicted more, on every kind of image
    assert jerry[:, 1].mean() > plain[:, 1].mean() + 0.1
    assert tom[:, 0].mean() > plain[:, 0].mean() + 0.1
    assert (jerry[:, 1] >= 0.5).mean() > (plain[:, 1] >= 0.5).mean()
    with pytest.raises(InvalidParameterError, match="'spike'.*'tom', 'jerry'"):
        tiny_multilabel(class_weight={"spike": 2.0}).fit(X, frame)
    with pytest.raises(InvalidParameterError, match="non-negative"):
        tiny_multilabel(class_weight={"tom": -1.0}).fit(X, frame)
