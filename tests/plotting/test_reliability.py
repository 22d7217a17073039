"""``ReliabilityDisplay`` (toonsklearn/plotting/_reliability.py): accuracy against confidence
bin by bin, the gap to the diagonal, the counts below and the ECE in the legend."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from tests.plotting.conftest import TINY, rendered
from toonsklearn import CNNClassifier, ImageFolderLoader, MultiLabelCNN, load_image_folder
from toonsklearn.datasets import make_toons
from toonsklearn.exceptions import TargetError
from toonsklearn.inspection import calibration_bins, calibration_error

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toonsklearn.plotting import ReliabilityDisplay  # noqa: E402
from toonsklearn.plotting._reliability import COUNTS_PANEL  # noqa: E402

#: Three classes, eight images: confidences 0.9 (three right of four), 0.6 (one of two)
#: and 0.35, 0.38 (both right); the columns are in ``LABELS`` order.
LABELS = ["bunny", "jerry", "tom"]
Y = ["tom", "tom", "tom", "jerry", "bunny", "tom", "bunny", "tom"]
PROBA = [[0.05, 0.05, 0.9], [0.05, 0.05, 0.9], [0.05, 0.05, 0.9], [0.9, 0.05, 0.05],
         [0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.35, 0.33, 0.32], [0.3, 0.32, 0.38]]


def legend(display) -> list[str]:
    return [text.get_text() for text in display.ax_.get_legend().get_texts()]


def heights(bars) -> list[float]:
    return [float(bar.get_height()) for bar in bars]


def test_the_bars_are_the_tables_accuracies_and_the_legend_gives_the_ece():
    display = ReliabilityDisplay.from_predictions(Y, PROBA, labels=LABELS, n_bins=5,
                                                  name="cnn")
    rendered(display.figure_)
    table = calibration_bins(Y, PROBA, labels=LABELS, n_bins=5)
    pd.testing.assert_frame_equal(display.bins_, table)
    assert display.bins_["count"].tolist() == [0, 2, 0, 2, 4]
    assert heights(display.bars_) == pytest.approx([1.0, 0.5, 0.75])
    assert [bar.get_x() for bar in display.bars_] == pytest.approx([0.2, 0.6, 0.8])
    assert [bar.get_width() for bar in display.bars_] == pytest.approx([0.2] * 3)
    # the hatched gaps run from each bar's top to its bin's mean confidence
    gaps = [p for p in display.ax_.patches if p.get_hatch() == "//"]
    assert [g.get_y() for g in gaps] == pytest.approx([1.0, 0.5, 0.75])
    assert heights(gaps) == pytest.approx([0.365 - 1.0, 0.6 - 0.5, 0.9 - 0.75])
    # ECE: (2 * 0.635 + 2 * 0.1 + 4 * 0.15) / 8
    assert display.ece_ == pytest.approx(0.25875)
    assert display.ece_ == pytest.approx(calibration_error(Y, PROBA, labels=LABELS, n_bins=5))
    assert legend(display) == ["perfectly calibrated", "gap to the diagonal",
                               "cnn (ECE 0.259)"]
    (counts,) = display.counts_ax_.patches
    np.testing.assert_array_equal(counts.get_data().values, [0, 2, 0, 2, 4])
    assert display.counts_ax_.get_label() == COUNTS_PANEL
    assert display.ax_.get_xlim() == (0, 1) and display.ax_.get_ylim() == (0, 1)
    unnamed = ReliabilityDisplay(display.bins_, display.ece_).plot()
    assert legend(unnamed)[-1] == "ECE 0.259"


def test_from_estimator_on_a_fitted_cnn_draws_its_held_out_probabilities(cnn):
    X, y = make_toons(40, image_size=16, random_state=1)
    display = ReliabilityDisplay.from_estimator(cnn, X, y, n_bins=10)
    rendered(display.figure_)
    proba = cnn.predict_proba(X)
    expected = calibration_bins(y, proba, labels=cnn.classes_, n_bins=10)
    pd.testing.assert_frame_equal(display.bins_, expected)
    assert display.bins_["count"].sum() == len(X)
    assert display.ece_ == pytest.approx(calibration_error(y, proba, labels=cnn.classes_,
                                                           n_bins=10))
    assert display.name == "CNNClassifier"
    assert legend(display)[-1] == f"CNNClassifier (ECE {display.ece_:.3f})"
    filled = expected[expected["count"] > 0]
    assert heights(display.bars_) == pytest.approx(filled["accuracy"].tolist())


def test_before_and_after_calibration_share_one_axes_of_the_callers(cnn):
    X, y = make_toons(60, image_size=16, random_state=2)
    calibrated = CalibratedClassifierCV(FrozenEstimator(cnn), method="sigmoid").fit(
        X[:30], y[:30])
    _, ax = plt.subplots(figsize=(4, 4), layout="constrained")
    before = ReliabilityDisplay.from_estimator(cnn, X[30:], y[30:], name="before", ax=ax)
    after = ReliabilityDisplay.from_estimator(calibrated, X[30:], y[30:], name="after",
                                              ax=ax)
    rendered(ax.figure)
    assert before.ax_ is after.ax_ is ax
    assert before.counts_ax_ is after.counts_ax_ and after.counts_ax_ in ax.child_axes
    assert legend(after) == ["perfectly calibrated", "gap to the diagonal",
                             f"before (ECE {before.ece_:.3f})",
                             f"after (ECE {after.ece_:.3f})"]
    assert len([line for line in ax.get_lines() if line.get_label() == "perfectly calibrated"
                ]) == 1
    first, second = after.counts_ax_.patches
    np.testing.assert_array_equal(second.get_data().values, after.bins_["count"])
    assert first.get_facecolor() != second.get_facecolor()
    assert not after.bars_[0].get_fill() and before.bars_[0].get_fill()
    proba = calibrated.predict_proba(X[30:])
    assert after.ece_ == pytest.approx(calibration_error(y[30:], proba,
                                                         labels=calibrated.classes_))
    assert ReliabilityDisplay.from_estimator(calibrated, X[30:], y[30:]).name == (
        "CalibratedClassifierCV")


def test_from_estimator_of_a_pipeline_over_png_files(tmp_path):
    root = make_toons(40, image_size=16, random_state=0, directory=tmp_path)
    train, test = (load_image_folder(root, subset=s) for s in ("train", "test"))
    names = np.asarray(train.target_names)
    pipe = make_pipeline(ImageFolderLoader(size=(16, 16)), CNNClassifier(epochs=1, **TINY))
    pipe.fit(train.paths, names[train.target])
    y_test = names[test.target]
    display = ReliabilityDisplay.from_estimator(pipe, test.paths, y_test, n_bins=5)
    rendered(display.figure_)
    assert display.name == "CNNClassifier"
    assert display.bins_["count"].sum() == len(test.paths)
    expected = calibration_bins(y_test, pipe.predict_proba(test.paths),
                                labels=pipe.classes_, n_bins=5)
    pd.testing.assert_frame_equal(display.bins_, expected)


def test_multilabel_counts_every_image_and_label_pair_from_an_indicator_or_sets():
    X, Y = make_toons(48, task="multilabel", image_size=16, random_state=0)
    Y = pd.DataFrame(Y, columns=["tom", "jerry"])
    clf = MultiLabelCNN(epochs=1, **TINY).fit(X, Y)
    display = ReliabilityDisplay.from_estimator(clf, X, Y, n_bins=10)
    rendered(display.figure_)
    assert display.bins_["count"].sum() == 2 * len(X)
    assert display.bins_.loc[display.bins_["high"] <= 0.5, "count"].sum() == 0
    proba = clf.predict_proba(X)
    assert display.ece_ == pytest.approx(calibration_error(Y.to_numpy(), proba, n_bins=10))
    sets = [{name for name, on in zip(Y.columns, row, strict=True) if on} for row in Y.values]
    from_sets = ReliabilityDisplay.from_estimator(clf, X, sets, n_bins=10)
    pd.testing.assert_frame_equal(from_sets.bins_, display.bins_)
    reordered = ReliabilityDisplay.from_estimator(clf, X, Y[["jerry", "tom"]], n_bins=10)
    assert reordered.ece_ == pytest.approx(display.ece_)
    with pytest.raises(TargetError, match="Label sets need labels="):
        ReliabilityDisplay.from_predictions(sets, proba)


def test_bad_inputs_raise_and_say_what_to_pass(cnn):
    table = calibration_bins(Y, PROBA, labels=LABELS, n_bins=5)
    with pytest.raises(ValueError, match="bins must be the non-empty table of calibration_"):
        ReliabilityDisplay(table.drop(columns="accuracy"), 0.1)
    with pytest.raises(ValueError, match="received type ndarray"):
        ReliabilityDisplay(table.to_numpy(), 0.1)
    with pytest.raises(ValueError, match="ece must be a number in"):
        ReliabilityDisplay(table, 1.5)
    with pytest.raises(ValueError, match="ece must be a number in"):
        ReliabilityDisplay(table, float("nan"))
    with pytest.raises(InvalidParameterError, match="n_bins must be an int"):
        ReliabilityDisplay.from_predictions(Y, PROBA, labels=LABELS, n_bins=0)
    with pytest.raises(ValueError, match="outside"):
        ReliabilityDisplay.from_predictions(Y, np.asarray(PROBA) * 2, labels=LABELS)
    with pytest.raises(ValueError, match="3 columns but there are 2 labels"):
        ReliabilityDisplay.from_predictions(Y, PROBA, labels=LABELS[1:])
    with pytest.raises(ValueError, match="y_true has 7 rows and proba 8"):
        ReliabilityDisplay.from_predictions(Y[:7], PROBA, labels=LABELS)
    with pytest.raises(TypeError, match="LinearSVC has no predict_proba"):
        ReliabilityDisplay.from_estimator(LinearSVC(), np.zeros((2, 3)), [0, 1])
    with pytest.raises(NotFittedError):
        ReliabilityDisplay.from_estimator(CNNClassifier(), np.zeros((2, 8, 8, 3)), [0, 1])
    X, y = make_toons(8, image_size=16, random_state=3)
    with pytest.raises(ValueError, match="not in labels"):
        ReliabilityDisplay.from_estimator(cnn, X, np.where(y == "tom", "spike", y))
