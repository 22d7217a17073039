"""toonsklearn.losses: label smoothing on integer labels, saved with the model."""

import keras
import numpy as np
import pytest

from toonsklearn.losses import SparseLabelSmoothingCrossentropy, training_loss

PROBA = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype="float32")
LABELS = np.array([[0], [2]], dtype="float32")  # as the estimators encode them


def test_it_is_keras_categorical_crossentropy_on_one_hot_targets():
    one_hot = keras.ops.one_hot(np.array([0, 2]), 3)
    for smoothing in (0.0, 0.1, 0.5):
        expected = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)(one_hot,
                                                                                   PROBA)
        ours = SparseLabelSmoothingCrossentropy(label_smoothing=smoothing)(LABELS, PROBA)
        assert float(ours) == pytest.approx(float(expected), rel=1e-6)
    plain = keras.losses.SparseCategoricalCrossentropy()(LABELS, PROBA)
    assert float(SparseLabelSmoothingCrossentropy(0.0)(LABELS, PROBA)) == pytest.approx(
        float(plain), rel=1e-6)


def test_sample_weights_and_one_dimensional_labels_are_taken():
    loss = SparseLabelSmoothingCrossentropy(0.2)
    flat = float(loss(LABELS[:, 0], PROBA))
    assert flat == pytest.approx(float(loss(LABELS, PROBA)))
    first_only = float(loss(LABELS, PROBA, sample_weight=np.array([1.0, 0.0])))
    assert first_only == pytest.approx(float(loss(LABELS[:1], PROBA[:1])) / 2)


def test_a_model_compiled_with_it_saves_and_loads(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", SparseLabelSmoothingCrossentropy(0.25))
    model.fit(np.eye(3, dtype="float32"), np.arange(3)[:, None], epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert isinstance(loaded.loss, SparseLabelSmoothingCrossentropy)
    assert loaded.loss.label_smoothing == 0.25


@pytest.mark.parametrize("smoothing", [1.0, -0.1, 2])
def test_smoothing_outside_zero_to_one_is_refused(smoothing):
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        SparseLabelSmoothingCrossentropy(smoothing)


def test_training_loss_keeps_the_plain_names_without_smoothing():
    assert training_loss("binary_crossentropy", 0.0) == "binary_crossentropy"
    assert training_loss("sparse_categorical_crossentropy", 0) == (
        "sparse_categorical_crossentropy")
    binary = training_loss("binary_crossentropy", 0.2)
    assert isinstance(binary, keras.losses.BinaryCrossentropy)
    assert binary.get_config()["label_smoothing"] == 0.2
    with pytest.raises(ValueError, match="'hinge'"):
        training_loss("hinge", 0.1)
