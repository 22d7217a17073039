"""What skops cannot store (toonsklearn/io/_stand_ins.py): Keras models, optimizers,
``history_`` and ``joblib.Memory`` swapped for stand-ins on save, the caller's object left
as it was, and back on load, where a stand-in may only name what it stands in for."""

import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from tests.io.conftest import (
    SMALL_CNN,
    needs_safe_keras,
    retarget_manifest,
    rewrite,
    walk,
    with_schema,
)
from toonsklearn import CNNClassifier
from toonsklearn.exceptions import ModelFileError, NotSavableError
from toonsklearn.io import load, save

pytestmark = needs_safe_keras


def test_saving_leaves_the_object_as_it_was(saved, tmp_path):
    for name in ("pipeline", "cnn", "transfer"):
        model, _, X, proba = saved[name]
        final = model[-1] if hasattr(model, "steps") else model
        steps = list(getattr(model, "steps", []))
        before = dict(vars(final))
        history, weights = final.history_.copy(), final.model_.get_weights()
        optimizer = keras.saving.serialize_keras_object(final.optimizer) if not isinstance(
            final.optimizer, str) else final.optimizer
        save(model, tmp_path / f"{name}.toonsklearn")
        assert getattr(model, "steps", []) == steps
        assert vars(final).keys() == before.keys()
        assert all(vars(final)[key] is value for key, value in before.items())
        pd.testing.assert_frame_equal(final.history_, history)
        for now, then in zip(final.model_.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(now, then)
        assert optimizer == (keras.saving.serialize_keras_object(final.optimizer)
                             if not isinstance(final.optimizer, str) else final.optimizer)
        np.testing.assert_array_equal(model.predict_proba(X), proba)


@pytest.mark.parametrize("make, where", [
    (lambda: CNNClassifier(callbacks=[keras.callbacks.TerminateOnNaN()]),
     r"CNNClassifier.callbacks\[0\].*set_params\(callbacks=None\)"),
    (lambda: make_pipeline(FunctionTransformer(lambda x: x), LogisticRegression()),
     r"Pipeline.steps\[0\]\[1\].func .*lambda"),
    (lambda: CNNClassifier(optimizer=keras.optimizers.Adam), "CNNClassifier.optimizer"),
])
def test_what_a_safe_file_cannot_hold_is_named(tmp_path, make, where):
    path = tmp_path / "model.toonsklearn"
    with pytest.raises(NotSavableError, match=where):
        save(make(), path)
    assert list(tmp_path.iterdir()) == []


def optimizer_config(schema) -> dict:
    """The skops node holding the JSON of the CNN's stored optimizer."""
    stand_in = next(node for node in walk(schema) if node.get("__class__") == "KerasOptimizer")
    return stand_in["content"]["content"]["config"]


def test_a_stored_optimizer_may_only_name_keras_optimizers(saved, tmp_path):
    layer = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 200000},
             "registered_name": None}

    def dense(schema):
        optimizer_config(schema)["content"] = json.dumps(json.dumps(layer))

    path = with_schema(saved["cnn"][1], tmp_path / "layer.toonsklearn", dense)
    with pytest.raises(ModelFileError, match="names 'keras.layers'.'Dense'"):
        load(path)


@pytest.mark.parametrize("learning_rate", [
    {"class_name": "ImagePreprocessing", "registered_name": "toonsklearn>ImagePreprocessing",
     "config": {}},
    {"module": "keras.optimizers", "class_name": "function", "config": "deserialize",
     "registered_name": "function"},
])
def test_an_optimizer_cannot_smuggle_other_objects_in_its_config(saved, tmp_path,
                                                                  learning_rate):
    def smuggle(schema):
        node = optimizer_config(schema)
        config = json.loads(json.loads(node["content"]))
        config["config"]["learning_rate"] = learning_rate
        node["content"] = json.dumps(json.dumps(config))

    path = with_schema(saved["cnn"][1], tmp_path / "smuggle.toonsklearn", smuggle)
    with pytest.raises(ModelFileError, match="not a Keras optimizer"):
        load(path)


def test_a_keras_model_swapped_in_from_another_file_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved["multilabel"][1]) as archive:
        other = archive.read("keras/0.keras")  # 2 outputs, where the CNN has 7 classes
    members = {"keras/0.keras": other}
    path = rewrite(saved["cnn"][1], tmp_path / "swapped.toonsklearn",
                   lambda name, data: retarget_manifest(name, data, members))
    with pytest.raises(ModelFileError, match="gives 2 outputs where it expects 7"):
        load(path)


def test_shared_estimators_of_a_voting_ensemble_stay_shared(tmp_path, data):
    from sklearn.ensemble import VotingClassifier

    X, y = data
    vote = VotingClassifier([("a", CNNClassifier(**SMALL_CNN)),
                             ("b", CNNClassifier(**{**SMALL_CNN, "random_state": 1}))],
                            voting="soft").fit(X, y)
    save(vote, tmp_path / "vote.toonsklearn")
    loaded = load(tmp_path / "vote.toonsklearn")
    np.testing.assert_allclose(loaded.predict_proba(X), vote.predict_proba(X), atol=1e-6)
    assert loaded.named_estimators_["a"] is loaded.estimators_[0]
    assert type(loaded.named_estimators_).__name__ == "Bunch"
