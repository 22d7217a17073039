"""How an estimator trains (toonsklearn/estimators/_training.py): seeded fits, in this process,
another one and two threads at once, leaving the caller's generators as they were; the
validation split; the history and the epoch kept; early stopping; the learning-rate
schedule; augmentation and label smoothing during training only."""

import random
import subprocess
import sys
import textwrap
import threading

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from tests.conftest import REPO_ROOT, solid
from tests.keras_helpers import TINY, RatesSeen, small_cnn, toons
from toonsklearn import CNNClassifier, MultiLabelCNN
from toonsklearn.exceptions import TrainingDataError

# --- seeds ---------------------------------------------------------------------------------


def test_same_seed_same_predictions_other_seed_differs():
    X, y = toons()
    a = small_cnn(random_state=1).fit(X, y).predict_proba(X)
    b = small_cnn(random_state=1).fit(X, y).predict_proba(X)
    c = small_cnn(random_state=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_same_seed_same_predictions_in_a_fresh_process(tmp_path):
    X, y = toons()
    here = small_cnn(random_state=5).fit(X, y).predict_proba(X)
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {REPO_ROOT!r})
        from tests.keras_helpers import small_cnn, toons
        X, y = toons()
        np.save({str(tmp_path / "proba.npy")!r}, small_cnn(random_state=5).fit(X, y)
                .predict_proba(X))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), here)


def test_same_seed_same_predictions_from_two_threads_at_once():
    X, y = toons()
    alone = small_cnn(random_state=3).fit(X, y).predict_proba(X)
    results = [None, None]

    def fit(slot):
        results[slot] = small_cnn(random_state=3).fit(X, y).predict_proba(X)

    threads = [threading.Thread(target=fit, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_array_equal(results[0], alone)
    np.testing.assert_array_equal(results[1], alone)


def test_a_seeded_fit_ignores_other_threads_drawing_from_python_random():
    """Keras seeds each initializer from Python's global ``random``; a dask worker's event
    loop draws from it too, which made a worker's first fit differ from ``n_jobs=1``. The
    other thread here also builds Keras initializers, unseeded: they draw from ``random``,
    not from the seeded fit's generator."""
    X, y = toons(n=32, size=8)
    quiet = CNNClassifier(filters=(4,), dense_units=(), **TINY).fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            keras.initializers.GlorotUniform()

    drawer = threading.Thread(target=draw)
    drawer.start()
    try:
        busy = CNNClassifier(filters=(4,), dense_units=(), **TINY).fit(X, y).predict_proba(X)
    finally:
        stop.set()
        drawer.join()
    np.testing.assert_array_equal(busy, quiet)


def test_a_seeded_fit_leaves_global_state_as_it_found_it():
    from tensorflow.python.framework import config

    X, y = toons()
    legacy = np.random  # the global generator Keras seeds, which users' code may rely on
    legacy.seed(123)
    expected_next = legacy.rand()
    legacy.seed(123)
    small_cnn(random_state=3).fit(X, y)
    assert not config.is_op_determinism_enabled()
    assert legacy.rand() == expected_next
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dropout(0.5)(inputs)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4)), np.ones(8), verbose=0)  # unseeded random ops still run


def test_a_seeded_fit_does_not_rewind_the_callers_tensorflow_stream():
    X, y = toons()
    tf.random.set_seed(7)
    first, second = float(tf.random.uniform(())), float(tf.random.uniform(()))
    tf.random.set_seed(7)
    try:
        assert float(tf.random.uniform(())) == first
        small_cnn(random_state=0, epochs=1).fit(X, y)
        assert float(tf.random.uniform(())) == second
    finally:
        tf.random.set_seed(None)


def test_a_seeded_fit_leaves_the_callers_tensorflow_seed_as_it_was():
    from tensorflow.python.eager import context

    X, y = toons()
    tf.random.set_seed(1234)
    try:
        small_cnn(random_state=0, epochs=1).fit(X, y)
        assert context.global_seed() == 1234
    finally:
        tf.random.set_seed(None)


# --- the validation split ------------------------------------------------------------------


def test_every_class_keeps_a_training_image():
    X, y = toons(20)
    y = y.copy()
    y[0] = "spike"  # a class of one image
    for fraction in (0.5, 0.8):
        clf = small_cnn(validation_fraction=fraction)
        clf._random_state = 0
        train, val = clf._split(len(y), y)
        assert set(y[train]) == set(y) and len(val) == int(np.ceil(20 * fraction))
        assert not set(train) & set(val)
    with pytest.raises(TrainingDataError, match="leaves 1 training images for 3 classes.*"
                                                "Lower validation_fraction"):
        small_cnn(validation_fraction=0.95).fit(X, y)


def test_a_too_large_validation_split_names_a_class_of_a_pandas_column():
    X, y = toons(20)
    labels = pd.Series(y, dtype=object)
    labels.iloc[0] = "spike"
    with pytest.raises(TrainingDataError, match="class '(spike|jerry|tom)' would have none"):
        small_cnn(validation_fraction=0.95).fit(X, labels)


# --- the history, the epoch kept and early stopping --------------------------------------


def test_history_has_one_row_per_epoch_with_validation():
    X, y = toons()
    clf = small_cnn(epochs=4, validation_fraction=0.25).fit(X, y)
    assert list(clf.history_.index) == [1, 2, 3, 4]  # as Keras prints them: Epoch 1/4
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(clf.history_.columns)
    assert clf.current_epoch == 4


def test_best_epoch_is_recorded_and_marked_in_history():
    X, y = toons()
    clf = small_cnn(epochs=40, learning_rate=5.0, early_stopping=2,
                    validation_fraction=0.25).fit(X, y)
    best = int(clf.history_["val_loss"].idxmin())
    assert clf.best_epoch_ == best
    assert clf.history_["best"].tolist() == [epoch == best for epoch in clf.history_.index]
    plain = small_cnn().fit(X, y)  # no early stopping: the last epoch's weights are kept
    assert plain.best_epoch_ == len(plain.history_) and plain.history_["best"].iloc[-1]


def test_early_stopping_stops_and_keeps_the_best_epoch():
    X, y = toons()
    clf = small_cnn(epochs=40, learning_rate=5.0, early_stopping=2, lr_schedule="constant",
                    validation_fraction=0.25).fit(X, y)
    n_epochs = len(clf.history_)
    best = int(clf.history_["val_loss"].idxmin())
    assert n_epochs < 40
    assert n_epochs == best + 2  # stopped after `patience` epochs without improvement
    assert clf.history_.index[-1] == n_epochs  # the last epoch Keras printed, 1-based


def test_under_the_cosine_schedule_early_stopping_watches_from_the_middle_on():
    X, y = toons()
    clf = small_cnn(epochs=20, learning_rate=5.0, early_stopping=2, lr_schedule="cosine",
                    validation_fraction=0.25).fit(X, y)
    watched = clf.history_["val_loss"].loc[11:]  # epochs 11 to 20, as Keras prints them
    assert clf.best_epoch_ == int(watched.idxmin())  # the best of the second half
    assert len(clf.history_) in (20, clf.best_epoch_ + 2)


def twins():
    """Every toon twice, the second time with the other label: as the network learns the
    training images by heart, the loss on the early-stopping split rises."""
    X, y = toons()
    return np.concatenate([X, X]), np.concatenate([y, np.where(y == "tom", "jerry", "tom")])


def test_early_stopping_fires_when_the_validation_loss_rises_and_says_where(capsys):
    X, y = twins()  # the default patience (10) and epochs (30), at a constant rate
    clf = small_cnn(epochs=30, early_stopping=10, lr_schedule="constant",
                    validation_fraction=0.25, verbose=2).fit(X, y)
    stopped = len(clf.history_)
    assert stopped == clf.best_epoch_ + 10 < 30
    assert clf.best_epoch_ == int(clf.history_["val_loss"].idxmin())
    assert clf.history_.index[-1] == stopped and clf.history_.loc[clf.best_epoch_, "best"]
    log = capsys.readouterr().out
    assert f"Epoch {stopped}/30 - " in log and f"Epoch {stopped + 1}/30" not in log
    assert log.splitlines()[-1] == (
        f"Early stopping: val_loss did not improve for 10 epochs after epoch "
        f"{clf.best_epoch_}; stopped after epoch {stopped}/30, kept the weights of epoch "
        f"{clf.best_epoch_}.")


def test_under_the_cosine_schedule_the_schedule_ends_the_fit_and_the_log_says_so(capsys):
    # The same rising loss under lr_schedule="cosine": early stopping watches epochs 16
    # to 30 only, whose rates decay to 0, so the loss barely moves and a fit stops at
    # epoch 26 at the earliest (patience 10), usually not at all: the log says which.
    X, y = twins()
    clf = small_cnn(epochs=30, early_stopping=10, lr_schedule="cosine",
                    validation_fraction=0.25, verbose=2).fit(X, y)
    assert clf.best_epoch_ == int(clf.history_["val_loss"].loc[16:].idxmin())
    assert len(clf.history_) in (30, clf.best_epoch_ + 10) and len(clf.history_) >= 26
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("Early stopping")
    assert "watching from epoch 16 on" in line
    assert line.endswith(f"kept the weights of epoch {clf.best_epoch_}.")


def test_a_fit_early_stopping_did_not_stop_says_why(capsys):
    X, y = toons()
    clf = small_cnn(epochs=3, early_stopping=10, lr_schedule="constant",
                    validation_fraction=0.25, verbose=2).fit(X, y)
    assert len(clf.history_) == 3
    line = capsys.readouterr().out.splitlines()[-1]
    assert line == (f"Early stopping did not stop: val_loss last improved at epoch "
                    f"{clf.best_epoch_}, fewer than 10 (the patience) epochs before the "
                    f"last, 3/3; kept the weights of epoch {clf.best_epoch_}.")
    small_cnn(epochs=2, early_stopping=10, validation_fraction=0.25).fit(X, y)
    assert "Early stopping" not in capsys.readouterr().out  # silent without verbose


# --- the learning-rate schedule ------------------------------------------------------------


def test_the_cosine_schedule_warms_up_then_decays_to_zero_at_the_last_epoch():
    X, y = toons()  # 48 images: 6 steps of 8 an epoch, 60 in 10 epochs
    rates = RatesSeen()
    small_cnn(epochs=10, lr_schedule="cosine", callbacks=[rates]).fit(X, y)
    assert rates.begin[0] == pytest.approx(0.001)  # a tenth of learning_rate=0.01
    assert rates.end[0] == pytest.approx(0.01)  # the warm-up is the first tenth of steps
    assert all(np.diff(rates.end) < 0)
    assert rates.end[-1] == pytest.approx(0.0, abs=1e-9)
    constant = RatesSeen()
    small_cnn(epochs=3, lr_schedule="constant", callbacks=[constant]).fit(X, y)
    assert constant.begin + constant.end == pytest.approx([0.01] * 6)


def test_partial_fit_trains_at_the_constant_rate_after_a_scheduled_fit():
    X, y = toons()
    clf = small_cnn(epochs=2, lr_schedule="cosine").fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)
    clf.partial_fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.01)
    fresh = small_cnn(lr_schedule="cosine").partial_fit(X, y)
    assert float(fresh.model_.optimizer.learning_rate) == pytest.approx(0.01)


# --- what only training sees ---------------------------------------------------------------


def test_augmentation_only_during_fit():
    X, y = toons()
    clf = small_cnn(augment="strong").fit(X, y)
    names = [type(layer).__name__ for layer in clf.model_.layers]
    assert {"RandomFlip", "RandomRotation", "RandomContrast"} <= set(names)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    flip = next(layer for layer in clf.model_.layers if type(layer).__name__ == "RandomRotation")
    batch = X[:8].astype("float32")
    assert not np.allclose(keras.ops.convert_to_numpy(flip(batch, training=True)), batch)


def test_label_smoothing_keeps_the_outputs_from_full_confidence():
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    X = np.stack([solid(8, 8, colours[i % 3]) for i in range(48)])
    y = np.array(["red", "green", "blue"])[np.arange(48) % 3]
    params = dict(filters=(4,), dense_units=None, dropout=0.0, lr_schedule="constant",
                  **{**TINY, "epochs": 40, "learning_rate": 0.05})
    plain = CNNClassifier(label_smoothing=0.0, **params).fit(X, y)
    smoothed = CNNClassifier(label_smoothing=0.3, **params).fit(X, y)
    assert (plain.predict(X) == y).all() and (smoothed.predict(X) == y).all()
    assert plain.predict_proba(X).max(axis=1).min() > 0.95
    # each target is 1 - 0.3 + 0.3 / 3 = 0.8 for the true class: the outputs settle there
    np.testing.assert_allclose(smoothed.predict_proba(X).max(axis=1), 0.8, atol=0.05)
    labels = MultiLabelCNN(label_smoothing=0.2, **params).fit(X, [(c,) for c in y])
    # per label, 1 - 0.2 + 0.2 / 2 = 0.9 for a label the image has and 0.1 for the others
    proba = labels.predict_proba(X)
    np.testing.assert_allclose(np.sort(proba, axis=1), [[0.1, 0.1, 0.9]] * len(X), atol=0.05)


@pytest.mark.parametrize("n, validation_fraction, expected", [
    (24, 0.0, 8), (200, 0.1, 16), (400, 0.1, 32), (4, 0.0, 8)])
def test_the_auto_batch_size_gives_small_sets_several_steps_an_epoch(n, validation_fraction,
                                                                     expected):
    from toonsklearn.estimators._training import auto_batch_size

    n_train = n - int(np.ceil(n * validation_fraction))
    assert auto_batch_size(n_train) == expected


def test_the_batch_size_used_is_recorded_and_an_int_is_kept():
    X, y = toons(40, size=8)
    clf = small_cnn(batch_size="auto", epochs=1, validation_fraction=0.0).fit(X, y)
    assert clf.batch_size_ == 8  # 40 images: 5 steps an epoch, not one of 32
    steps = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    small_cnn(batch_size="auto", epochs=1, callbacks=[counter]).fit(X, y)
    assert len(steps) == 5
    assert small_cnn(batch_size=16, epochs=1).fit(X, y).batch_size_ == 16
    assert CNNClassifier().batch_size == "auto"
    streamed = small_cnn(epochs=1, validation_fraction=0.0).set_params(batch_size="auto")
    assert streamed.partial_fit(X, y).batch_size_ == 8
