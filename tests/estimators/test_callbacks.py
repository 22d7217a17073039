"""The callbacks a fit runs (toonsklearn/estimators/_callbacks.py): the user's, after the
named defaults that the ``callbacks`` dict replaces or turns off; Keras' progress bar on a
terminal only; a callback that sets the rate refused under the cosine schedule."""

import os
import sys

import keras
import pytest

from tests.keras_helpers import small_cnn, toons


def test_verbose_shows_keras_progress_and_callbacks_run(capsys):
    X, y = toons()
    seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    small_cnn(verbose=2, callbacks=[callback]).fit(X, y)
    assert "Epoch 3/3" in capsys.readouterr().out
    assert seen == [0, 1, 2]


def test_a_long_step_is_named_on_a_line_before_keras_progress_line(capsys):
    from toonsklearn.estimators._callbacks import announce_step

    X, _ = toons(20)
    model = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.GlobalAveragePooling2D()])
    announce_step(2, f"Computing backbone features of {len(X)} images")
    model.predict(X.astype("float32"), batch_size=8, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Computing backbone features of 20 images"
    assert lines[1].startswith("3/3 - ")  # Keras' line for the same step, after the name
    announce_step(0, "Computing backbone features of 20 images")
    assert capsys.readouterr().out == ""  # silent unless verbose


def test_a_terminal_keeps_the_keras_progress_bar(monkeypatch):
    from toonsklearn.estimators._callbacks import plain_progress

    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        monkeypatch.setattr(sys, "stdout", terminal)
        assert not plain_progress(1) and not plain_progress(0)
    os.close(leader)
    monkeypatch.undo()
    with open(os.devnull, "w") as log:
        monkeypatch.setattr(sys, "stdout", log)
        assert plain_progress(1) and not plain_progress(0)


def test_default_callbacks_are_replaced_or_turned_off_by_name():
    X, y = toons()
    off = small_cnn(epochs=6, learning_rate=5.0, early_stopping=1, validation_fraction=0.25,
                    callbacks={"early_stopping": None}).fit(X, y)
    assert len(off.history_) == 6
    mine = keras.callbacks.EarlyStopping(monitor="loss", patience=0)
    replaced = small_cnn(epochs=6, early_stopping=100,
                         callbacks={"early_stopping": mine}).fit(X, y)
    assert replaced.model_ is mine.model
    with pytest.raises(ValueError, match="turns off no callback.*'checkpoint', 'early_stop"):
        small_cnn(callbacks={"progress_bar": None}).fit(X, y)
    with pytest.raises(TypeError, match="must be a keras.callbacks.Callback"):
        small_cnn(callbacks=["not a callback"]).fit(X, y)


def test_a_callback_that_sets_the_rate_is_refused_with_the_cosine_schedule():
    X, y = toons()
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0)
    clf = small_cnn(lr_schedule="cosine", callbacks={"reduce": reduce})
    with pytest.raises(ValueError, match=r"callbacks\['reduce'\] is a ReduceLROnPlateau.*"
                                         "lr_schedule='constant'"):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")
    clf.set_params(lr_schedule="constant").fit(X, y)  # the callback sets the rate instead
    assert float(clf.model_.optimizer.learning_rate) < 0.01
