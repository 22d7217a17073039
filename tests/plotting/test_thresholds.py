"""``ThresholdDisplay`` (toonsklearn/plotting/_thresholds.py): per-label threshold curves,
each label's threshold marked."""

import numpy as np
import pandas as pd
import pytest

from tests.plotting.conftest import TINY, rendered
from toonsklearn import CNNClassifier, MultiLabelCNN
from toonsklearn.datasets import make_toons

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from toonsklearn.plotting import ThresholdDisplay  # noqa: E402


def test_threshold_display_marks_each_labels_threshold_on_its_curve():
    X, Y = make_toons(48, task="multilabel", image_size=16, random_state=0)
    Y = pd.DataFrame(Y, columns=["tom", "jerry"])
    clf = MultiLabelCNN(threshold=[0.4, 0.6], epochs=1, **TINY).fit(X, Y)
    display = ThresholdDisplay.from_estimator(clf, X, Y)
    rendered(display.figure_)
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert [name.split(" ")[0] for name in legend] == ["tom", "jerry"]
    np.testing.assert_allclose(display.chosen, [0.4, 0.6])
    from sklearn.metrics import f1_score

    proba = clf.predict_proba(X)
    marks = display.ax_.get_lines()[1::2]
    for k, mark in enumerate(marks):
        assert mark.get_xdata()[0] == pytest.approx([0.4, 0.6][k])
        expected = f1_score(Y.iloc[:, k], proba[:, k] >= [0.4, 0.6][k], zero_division=0)
        assert mark.get_ydata()[0] == pytest.approx(expected)
    with pytest.raises(TypeError, match="MultiLabelCNN fitted on multi-label targets"):
        ThresholdDisplay.from_estimator(CNNClassifier(), X, Y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ThresholdDisplay.from_estimator(MultiLabelCNN(), X, Y)
    with pytest.raises(ValueError, match=r"threshold has shape \(3,\)"):
        ThresholdDisplay.from_predictions(Y, proba, threshold=[0.5] * 3)


def test_threshold_display_of_label_sets_and_a_bad_mark():
    sets = [{"tom"}, {"jerry"}, {"tom", "jerry"}, set()]
    proba = np.array([[0.9, 0.2], [0.3, 0.4], [0.6, 0.7], [0.2, 0.3]])
    display = ThresholdDisplay.from_predictions(sets, proba, labels=["jerry", "tom"],
                                                threshold=[0.3, 0.5])
    jerry = display.ax_.get_lines()[1]  # its mark: at 0.3, 2 of 3 predicted are right
    assert jerry.get_xdata()[0] == 0.3 and jerry.get_ydata()[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="lies outside its curve"):
        ThresholdDisplay([[0.1, 0.5]], [[1.0, 0.5]], [0.9], display_labels=["tom"])


def test_threshold_display_from_predictions_and_a_callable_metric():
    Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    proba = np.array([[0.9, 0.2], [0.3, 0.4], [0.6, 0.1], [0.2, 0.3]])

    def hits(truth, predicted):
        return float((truth & predicted).sum())

    display = ThresholdDisplay.from_predictions(Y, proba, metric=hits, threshold=0.35)
    assert display.metric == "hits" and display.ax_.get_ylabel() == "hits"
    assert [t.get_text().split(" ")[0] for t in display.ax_.get_legend().get_texts()] == [
        "0", "1"]
    with pytest.raises(ValueError, match="metric must be one of"):
        ThresholdDisplay.from_predictions(Y, proba, metric="auc")
