"""The learning-rate range test (toonsklearn/tuning/_lr_find.py) on real Keras fits."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from tests.keras_helpers import toons
from toonsklearn import CNNClassifier, ImageTransformer
from toonsklearn.exceptions import ToonsklearnWarning
from toonsklearn.tuning import lr_find


def easy_cnn(**params):
    return CNNClassifier(**{"filters": (8,), "convs_per_block": 1, "batch_size": 8,
                            "validation_fraction": 0.0, "early_stopping": None,
                            "random_state": 0, **params})


def bright_or_dark(n=64, seed=0):
    """An easy problem: is the image bright or dark (with noise)?"""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(90 + 70 * y[:, None, None, None], 30, (n, 8, 8, 3))
    return np.clip(X, 0, 255).astype(np.uint8), y


def test_the_suggestion_trains_an_easy_problem_better_than_a_rate_100_times_larger():
    X, y = bright_or_dark()
    found = lr_find(easy_cnn(), X, y, num_steps=80)
    assert len(found.learning_rates) == len(found.losses) <= 80
    assert np.all(np.diff(found.learning_rates) > 0)
    assert found.learning_rates[0] == pytest.approx(1e-7)
    good = easy_cnn(learning_rate=found.suggestion, epochs=4).fit(X, y)
    bad = easy_cnn(learning_rate=100 * found.suggestion, epochs=4).fit(X, y)
    assert good.history_["loss"].iloc[-1] < bad.history_["loss"].iloc[-1]
    assert good.score(X, y) >= bad.score(X, y)


def test_the_ramp_stops_once_the_loss_diverges():
    X, y = toons(32, size=8)
    found = lr_find(easy_cnn(), X, y, start_lr=1e-3, end_lr=1e4, num_steps=200)
    assert len(found.losses) < 200
    assert found.suggestion < found.learning_rates[-1]


@pytest.mark.parametrize("random_state", [0, None])
@pytest.mark.filterwarnings(  # an unseeded ten-step test may find no fall: not the point here
    "ignore:The loss never fell:toonsklearn.exceptions.ToonsklearnWarning")
def test_the_estimator_stays_unfitted_and_the_callers_seed_is_kept(random_state):
    X, y = toons(32, size=8)
    cnn = easy_cnn(random_state=random_state)
    numpy_stream = np.random.get_state()[1].copy()  # noqa: NPY002 (the caller's global one)
    tf.random.set_seed(1234)
    try:
        before = tf.random.uniform((3,)).numpy()
        tf.random.set_seed(1234)
        lr_find(cnn, X, y, num_steps=10)
        assert (tf.random.uniform((3,)).numpy() == before).all()
        assert (np.random.get_state()[1] == numpy_stream).all()  # noqa: NPY002
    finally:
        tf.random.set_seed(None)
    with pytest.raises(NotFittedError):
        cnn.predict(X)


def test_a_seeded_estimator_gives_the_same_curve_twice():
    X, y = toons(32, size=8)
    first = lr_find(easy_cnn(), X, y, num_steps=15)
    again = lr_find(easy_cnn(), X, y, num_steps=15)
    np.testing.assert_allclose(first.losses, again.losses, rtol=1e-5)


def test_a_pipeline_is_transformed_before_its_estimator_ramps():
    X, y = toons(32, size=16)
    nested = make_pipeline(ImageTransformer(size=(12, 12)),
                           make_pipeline(ImageTransformer(size=(8, 8)), easy_cnn()))
    found = lr_find(nested, X, y, num_steps=10)
    assert len(found.losses) == 10


def test_bad_arguments_name_what_is_wrong():
    X, y = toons(32, size=8)
    with pytest.raises(TypeError, match="received LogisticRegression"):
        lr_find(LogisticRegression(), X.reshape(32, -1), y)
    with pytest.raises(ValueError, match="end_lr"):
        lr_find(easy_cnn(), X, y, start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="num_steps"):
        lr_find(easy_cnn(), X, y, num_steps=1)
    with pytest.raises(ValueError, match="num_steps"):
        lr_find(easy_cnn(), X, y, num_steps=10**9)
    with pytest.raises(ValueError, match="batch_size"):
        lr_find(easy_cnn(batch_size=0), X, y)


def test_a_loss_that_never_falls_gives_a_warning_and_no_suggestion():
    X, y = toons(32, size=8)
    with pytest.warns(ToonsklearnWarning, match="The loss never fell.*suggests no rate"):
        found = lr_find(easy_cnn(), X, y, start_lr=1e-8, end_lr=1e-6, num_steps=20)
    assert found.suggestion is None
    assert repr(found) == "LRFinderResult(suggestion=None, 20 steps)"


def test_a_falling_loss_suggests_a_rate_where_it_falls_that_trains_better():
    X, y = toons(64, size=8)
    found = lr_find(easy_cnn(), X, y, start_lr=1e-4, end_lr=10.0, num_steps=60)
    lowest = int(np.argmin(found.losses))
    at = int(np.flatnonzero(found.learning_rates == found.suggestion)[0])
    assert 0 < at < lowest and found.losses[at] > found.losses[lowest]  # on the descent
    suggested = easy_cnn(learning_rate=found.suggestion, epochs=3).fit(X, y)
    bottom = easy_cnn(learning_rate=found.learning_rates[0], epochs=3).fit(X, y)
    assert suggested.history_["loss"].iloc[-1] < bottom.history_["loss"].iloc[-1]
