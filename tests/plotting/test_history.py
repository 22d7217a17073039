"""``HistoryDisplay`` (toonsklearn/plotting/_history.py): learning curves from ``history_``,
rendered to PNG with Agg and checked as a person would check them."""

import re

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from tests.plotting.conftest import SHARED, TINY, rendered, texts
from toonsklearn import CNNClassifier, TransferClassifier

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toonsklearn.plotting import HistoryDisplay  # noqa: E402


def test_history_display_draws_every_quantity_with_validation_and_the_kept_epoch(cnn):
    display = HistoryDisplay.from_estimator(cnn)
    rendered(display.figure_)
    assert display.quantities == ["accuracy", "loss"]
    assert [ax.get_title() for ax in display.axes_] == ["accuracy", "loss"]
    for ax in display.axes_:
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels[:2] == ["training", "early-stopping split"]
        kept = ax.get_lines()[2]
        assert kept.get_label() == f"kept: epoch {cnn.best_epoch_}"
        assert list(kept.get_xdata()) == [cnn.best_epoch_] * 2
    loss = display.axes_[1].get_lines()[0]
    np.testing.assert_allclose(loss.get_ydata(), cnn.history_["loss"])


def test_history_of_a_fine_tuned_transfer_model_tells_its_phases_apart(named_toons):
    X, y = named_toons
    clf = TransferClassifier("mobilenet_v2", weights=None, input_size=(32, 32), epochs=2,
                             fine_tune_layers=2, fine_tune_epochs=2, **SHARED).fit(X, y)
    assert clf.history_["phase"].tolist() == ["head", "head", "fine_tune", "fine_tune"]
    display = HistoryDisplay.from_estimator(make_pipeline(clf))  # a Pipeline's last step
    rendered(display.figure_)
    for ax in display.axes_:
        assert texts(ax) == ["head on features", "fine-tuning"]
        assert len(ax.patches) == 1  # the second phase shaded


def test_epochs_are_numbered_as_keras_prints_them_in_history_and_plot(named_toons, capsys):
    # Keras says which epoch's weights it restored; history_, best_epoch_ and the plot
    # must give that epoch the same number, and number the epochs as the log does.
    X, y = named_toons
    stopper = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True,
                                            verbose=1)
    clf = CNNClassifier(epochs=3, validation_fraction=0.25, verbose=2,
                        callbacks={"early_stopping": stopper}, **TINY).fit(X, y)
    log = capsys.readouterr().out
    printed = [int(n) for n in re.findall(r"^Epoch (\d+)/3", log, flags=re.MULTILINE)]
    restored = int(re.search(r"best epoch: (\d+)\.", log).group(1))
    assert printed == [1, 2, 3] == list(clf.history_.index)
    assert clf.best_epoch_ == restored == int(clf.history_["val_loss"].idxmin())
    assert clf.history_.loc[restored, "best"]
    display = HistoryDisplay.from_estimator(clf)
    rendered(display.figure_)
    for ax in display.axes_:
        training, split, kept = ax.get_lines()[:3]
        assert list(training.get_xdata()) == list(split.get_xdata()) == [1, 2, 3]
        assert kept.get_label() == f"kept: epoch {restored}"
        assert list(kept.get_xdata()) == [restored] * 2


def test_a_history_with_pandas_default_index_is_numbered_from_one():
    history = pd.DataFrame({"loss": [0.9, 0.5, 0.4], "best": [False, False, True]})
    display = HistoryDisplay.from_history(history)
    assert display.best_epoch == 3 and list(display.history.index) == [1, 2, 3]
    assert display.axes_[0].get_lines()[-1].get_label() == "kept: epoch 3"


def test_history_display_refuses_what_has_no_epochs(named_toons):
    with pytest.raises(ValueError, match="fit it first"):
        HistoryDisplay.from_estimator(CNNClassifier())
    with pytest.raises(ValueError, match="non-empty pandas DataFrame"):
        HistoryDisplay(pd.DataFrame())
    with pytest.raises(ValueError, match="no numeric column"):
        HistoryDisplay(pd.DataFrame({"phase": ["train"]}))
    history = pd.DataFrame({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]})
    _, (ax,) = plt.subplots(1, 1, squeeze=False)
    with pytest.raises(ValueError, match="at least 2 Axes"):
        HistoryDisplay(history).plot(ax=ax)


def test_history_read_back_from_a_csv_file_draws_the_same(cnn, tmp_path):
    cnn.history_.to_csv(tmp_path / "history.csv")
    again = HistoryDisplay.from_history(pd.read_csv(tmp_path / "history.csv"))
    assert again.quantities == ["accuracy", "loss"] and again.best_epoch == cnn.best_epoch_
    assert again.axes_[0].get_xlabel() == "epoch"


def test_partial_fit_after_fit_adds_training_rows(named_toons):
    X, y = named_toons
    clf = CNNClassifier(epochs=1, **TINY).fit(X, y).partial_fit(X, y)
    assert clf.history_["phase"].tolist() == ["train", "train"]
    assert list(HistoryDisplay.from_estimator(clf).history.index) == [1, 2]


def test_history_display_draws_into_the_callers_axes():
    history = pd.DataFrame({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]})
    figure, axes = plt.subplots(1, 3)
    display = HistoryDisplay.from_history(history, ax=axes)
    assert display.figure_ is figure and list(display.axes_) == list(axes[:2])
    assert not axes[2].axison  # the spare one switched off
    assert figure.get_suptitle() == ""  # the caller's figure keeps its own title
