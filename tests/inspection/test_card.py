"""The model card (toonsklearn/inspection/_card.py): what it names, the intervals it
computes from the counts, what it says the test set cannot support, multi-label cards."""

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from tests.keras_helpers import tiny_multilabel, toons
from toonsklearn.inspection import calibration_error, model_card

CLASSES = ["droopy", "jerry", "spike", "tom"]


@pytest.fixture(scope="module")
def single():
    """A fitted 4-class model, and a test set with known counts: 30 jerry (27 right, 3
    taken for tom), 5 spike (4 right, 1 taken for jerry), 25 tom (all right), no droopy."""
    model = LogisticRegression().fit(np.arange(4.0).reshape(-1, 1), CLASSES)
    truth = ["jerry"] * 30 + ["spike"] * 5 + ["tom"] * 25
    predicted = ["jerry"] * 27 + ["tom"] * 3 + ["spike"] * 4 + ["jerry"] + ["tom"] * 25
    proba = np.full((60, 4), 0.1)
    proba[np.arange(60), [CLASSES.index(name) for name in predicted]] = 0.7
    return model, np.array(truth), proba


def row(card, name):
    """The cells of the metrics table's row of ``name``."""
    line = next(line for line in section(card, "Metrics").splitlines()
                if line.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def section(card, title):
    return card.split(f"## {title}\n")[1].split("\n## ")[0]


def test_the_card_names_every_class_the_test_size_and_the_source(single):
    model, truth, proba = single
    card = model_card(model, truth, proba, source="toons/test")
    assert card.startswith("# Model card: LogisticRegression\n")
    for title in ("Model", "Test data", "Metrics", "Calibration", "Decision thresholds",
                  "Training settings", "Library versions", "Limits"):
        assert f"\n## {title}\n" in card
    assert "- Classes: droopy, jerry, spike, tom." in card
    assert "- Test images: 60." in card and "- Source: toons/test." in card
    data = section(card, "Test data")
    for name, count in (("droopy", 0), ("jerry", 30), ("spike", 5), ("tom", 25)):
        assert f"| {name} | {count} |" in data
    versions = section(card, "Library versions")
    for package in ("toonsklearn", "keras", "tensorflow", "scikit-learn", "numpy"):
        assert f"| {package} |" in versions
    assert card == model_card(model, truth, proba, source="toons/test")  # no date, no time


def test_each_interval_is_the_wilson_interval_of_its_counts(single):
    model, truth, proba = single
    card = model_card(model, truth, proba)
    # jerry: 27 of the 28 predicted jerry are jerry, 27 of the 30 jerry were found.
    # By hand, p = 27/30, z = 1.96: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    # = (0.9 + 0.06402 ± 0.11082) / 1.12805 = 0.744 and 0.965.
    assert row(card, "jerry") == ["jerry", "0.964 [0.823, 0.994]", "28",
                                  "0.900 [0.744, 0.965]", "30", "0.931 [0.780, 0.981]", "30"]
    assert row(card, "spike") == ["spike", "1.000 [0.510, 1.000]", "4",
                                  "0.800 [0.376, 0.964]", "5", "0.889 [0.431, 0.988]", "5"]
    assert row(card, "droopy") == ["droopy", "n/a", "0", "n/a", "0", "n/a", "0"]
    # F1 = TP / (TP + (FP + FN) / 2): jerry's 27 of 29, spike's 4 of 4.5
    for k, n, cell in ((27, 28, "0.823, 0.994"), (27, 30, "0.744, 0.965"), (4, 4, "0.510, 1.000"),
                       (4, 5, "0.376, 0.964"), (27, 29, "0.780, 0.981"), (56, 60, "0.841, 0.974")):
        interval = binomtest(k, n).proportion_ci(method="wilson")
        assert cell == f"{interval.low:.3f}, {interval.high:.3f}"
    assert "- Accuracy: 0.933 [0.841, 0.974], 56 of 60 images right." in card
    # the mean F1 of jerry, spike and tom: droopy has no test image
    f1 = np.mean([27 / 29, 4 / 4.5, 25 / 26.5])
    assert (f"- Macro-F1: {f1:.3f}, the mean F1 of the 3 classes with test images or "
            "predicted (1 neither in the test images nor predicted left out)") in card


def test_a_class_predicted_but_absent_counts_in_macro_f1_as_scikit_learn_counts_it(single):
    from sklearn.metrics import f1_score

    model, truth, proba = single
    proba = proba.copy()
    droopy = list(model.classes_).index("droopy")
    proba[0] = np.eye(len(model.classes_))[droopy]  # one image called droopy, wrongly
    predicted = model.classes_[proba.argmax(axis=1)]
    card = model_card(model, truth, proba)
    expected = f1_score(truth, predicted, average="macro", zero_division=0)
    assert f"- Macro-F1: {expected:.3f}, the mean F1 of the 4 classes" in card
    limits = section(card, "Limits")
    assert "yet predicted, every time wrongly: droopy (1 times)" in limits
    assert "No test images: droopy" not in limits


def test_limits_name_small_and_missing_classes_and_wide_intervals(single):
    model, truth, proba = single
    limits = section(model_card(model, truth, proba, source="toons/test"), "Limits")
    assert "images like the 60 test images (from toons/test)" in limits
    small = next(line for line in limits.splitlines() if "Fewer than 20" in line)
    assert "spike (5)" in small and "jerry" not in small and "tom" not in small
    assert re.search(r"No test images: droopy\.", limits)
    wide = next(line for line in limits.splitlines() if "wider than 10 points" in line)
    assert "spike (precision, recall, F1)" in wide and "jerry (recall, F1)" in wide


def test_calibration_and_settings_are_those_of_the_model(single):
    model, truth, proba = single
    card = model_card(make_pipeline(FunctionTransformer(), model), truth, proba, n_bins=5)
    ece = calibration_error(truth, proba, labels=CLASSES, n_bins=5)
    assert f"(ECE): {ece:.3f} over 60 predictions, in 5 equal-width bins" in card
    assert "a Pipeline of 2 steps: `functiontransformer` (FunctionTransformer) -> " \
           "`logisticregression` (LogisticRegression)" in card
    assert "the argmax of predict_proba" in section(card, "Decision thresholds")
    settings = section(card, "Training settings")
    assert "| `C` | `1.0` | same |" in settings
    assert "Epochs trained: not recorded" in settings


def test_a_multilabel_card_gives_each_labels_threshold():
    X, y = toons(n=16, size=8, task="multilabel")
    y = pd.DataFrame(y, columns=["jerry", "tom"])
    model = tiny_multilabel(epochs=1, threshold=[0.3, 0.7]).fit(X, y)
    card = model_card(model, y, model.predict_proba(X))
    assert "multi-label classification, 2 labels" in card and "- Labels: jerry, tom." in card
    thresholds = section(card, "Decision thresholds")
    assert "| jerry | 0.300 |" in thresholds and "| tom | 0.700 |" in thresholds
    assert "Exact-match accuracy (every label right)" in card
    assert f"| jerry | {int(y['jerry'].sum())} |" in section(card, "Test data")
    assert "- Epochs trained: 1 (rows of history_)." in card
    assert "| `threshold` | `[0.3, 0.7]` | `0.5` |" in section(card, "Training settings")
    assert "- Input size: 8 x 8 x 3 (height x width x channels)." in card
    model.set_params(threshold=0.4)  # one threshold for every label
    thresholds = section(model_card(model, y, model.predict_proba(X)), "Decision thresholds")
    assert "| jerry | 0.400 |" in thresholds and "| tom | 0.400 |" in thresholds


def test_bad_inputs_are_refused_by_name(single):
    model, truth, proba = single
    with pytest.raises(ValueError, match="one column per class of the model"):
        model_card(model, truth, proba[:, :3])
    with pytest.raises(ValueError, match="y_true holds butch, which the model does not know"):
        model_card(model, np.array(["butch", *truth[1:]]), proba)
    with pytest.raises(ValueError, match="y_true has 59 images and proba 60 rows"):
        model_card(model, truth[1:], proba)
    with pytest.raises(NotFittedError):
        model_card(LogisticRegression(), truth, proba)
