"""``LRFinderDisplay`` (toonsklearn/plotting/_lr_finder.py): the learning-rate range test's
curve, the suggestion marked."""

import numpy as np
import pytest

from tests.keras_helpers import toons
from tests.plotting.conftest import rendered
from toonsklearn import CNNClassifier
from toonsklearn.tuning import lr_find

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from toonsklearn.plotting import LRFinderDisplay  # noqa: E402


def test_lr_finder_display_marks_the_suggestion():
    rates = np.geomspace(1e-5, 1, 30)
    losses = np.concatenate([np.linspace(1, 0.2, 20), np.linspace(0.3, 3, 10)])
    display = LRFinderDisplay(rates, losses, 1e-3).plot()
    rendered(display.figure_)
    curve, mark = display.ax_.get_lines()
    np.testing.assert_allclose(curve.get_xdata(), rates)
    assert list(mark.get_xdata()) == [1e-3, 1e-3]
    assert display.ax_.get_xscale() == "log"


def test_plot_draws_the_curve_and_marks_the_suggestion():
    X, y = toons(32, size=8)
    cnn = CNNClassifier(filters=(8,), convs_per_block=1, batch_size=8, validation_fraction=0.0,
                        early_stopping=None, random_state=0)
    found = lr_find(cnn, X, y, num_steps=10)
    display = LRFinderDisplay.from_result(found)
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.lines[0].get_xdata().tolist() == found.learning_rates.tolist()
    assert display.ax_.lines[1].get_xdata()[0] == found.suggestion


def test_no_suggestion_draws_the_curve_alone_and_says_so():
    from toonsklearn.tuning import LRFinderResult

    result = LRFinderResult(np.geomspace(1e-8, 1e-6, 10), np.linspace(0.7, 0.71, 10), None)
    display = LRFinderDisplay.from_result(result)
    rendered(display.figure_)
    assert display.suggestion is None
    assert len(display.ax_.get_lines()) == 1 and display.ax_.get_legend() is None
    assert "no suggestion" in display.ax_.get_title()
