"""LiteRT and ONNX export: each file run in its own runtime against predict_proba."""

import json
import os

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from tests.conftest import write_image
from tests.keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import (
    CNNClassifier,
    ImageFolderLoader,
    MultiLabelCNN,
    TransferClassifier,
    __version__,
)
from toonsklearn.exceptions import (
    ImageInputError,
    MissingFileError,
    ModelFileError,
    NotSavableError,
)
from toonsklearn.export import (
    FORMATS,
    export_model,
    exportable_network,
    load_exported,
    metadata_path,
)

pytest.importorskip("onnxruntime", reason="the export extra runs these")
pytest.importorskip("ai_edge_litert", reason="the export extra runs these")


@pytest.fixture(scope="module")
def images():
    """50 test images, of another draw than the training ones."""
    return toons(50, size=16, seed=7)[0]


@pytest.fixture(scope="module")
def transfer():
    """A frozen backbone and head, trained under augmentation, predicting with 4 views."""
    X, y = toons(48, size=16, task="multiclass")
    return TransferClassifier(tiny_backbone, input_size=(16, 16), augment="strong", tta=4,
                              **TINY).fit(X, y)


@pytest.fixture(scope="module")
def multilabel():
    X, Y = toons(48, size=16, task="multilabel")
    return MultiLabelCNN(filters=(4,), augment="light", threshold=0.4, **TINY).fit(X, Y)


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_each_file_matches_predict_proba_in_its_own_runtime(format, transfer, multilabel,
                                                            images, tmp_path):
    for name, estimator in {"transfer": transfer, "multilabel": multilabel}.items():
        path = tmp_path / f"{name}{FORMATS[format]}"
        metadata = export_model(estimator, path, format=format)
        exported = load_exported(path)
        got = exported.predict_proba(images)
        expected = estimator.predict_proba(images)
        assert got.shape == expected.shape == (50, len(estimator.classes_))
        np.testing.assert_allclose(got, expected, atol=1e-4)
        assert exported.metadata == metadata == json.loads(open(metadata_path(path)).read())
    assert metadata["multilabel"] and metadata["decision"] == {
        "rule": "threshold", "thresholds": [0.4] * len(multilabel.classes_)}


def test_two_classes_give_two_columns_and_the_json_says_how_to_feed_it(tmp_path, images):
    X, y = toons(32, size=16)
    clf = CNNClassifier(filters=(4,), **TINY).fit(X, y)
    path = tmp_path / "toons.onnx"
    metadata = export_model(clf, path, format="onnx")
    proba = load_exported(path).predict_proba(images)
    assert proba.shape == (50, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    assert metadata["classes"] == ["jerry", "tom"] and metadata["decision"] == {"rule": "argmax"}
    assert metadata["input"]["shape"] == [None, 16, 16, 3]
    assert metadata["input"]["dtype"] == "uint8" and metadata["tta"] is None
    assert metadata["versions"]["toonsklearn"] == __version__
    assert metadata["versions"]["onnxruntime"]
    assert sorted(os.listdir(tmp_path)) == ["toons.json", "toons.onnx"]


def test_a_pipeline_with_a_loader_is_exported_and_the_json_records_it(tmp_path):
    X, y = toons(24, size=16)
    paths = []
    for i, image in enumerate(X):
        write_image(tmp_path / f"{i}.png", image)
        paths.append(str(tmp_path / f"{i}.png"))
    pipe = make_pipeline(ImageFolderLoader(size=(16, 16), resize="pad"),
                         CNNClassifier(filters=(4,), **TINY)).fit(np.array(paths), y)
    metadata = export_model(pipe, tmp_path / "pipe.tflite")
    assert metadata["loader"] == {"size": [16, 16], "resize": "pad", "color_mode": "rgb"}
    pixels = ImageFolderLoader(size=(16, 16), resize="pad").transform(np.array(paths))
    np.testing.assert_allclose(load_exported(tmp_path / "pipe.tflite").predict_proba(pixels),
                               pipe.predict_proba(np.array(paths)), atol=1e-4)


def test_the_exported_network_leaves_out_the_random_layers(transfer):
    network = exportable_network(transfer)
    names = {type(layer).__name__ for layer in _all_layers(network)}
    assert not {name for name in names if name.startswith("Random")}
    assert "ImageView" in names and network.input.dtype == "uint8"
    assert any(type(layer).__name__.startswith("Random") for layer in transfer.model_.layers)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


@pytest.mark.parametrize("bad, match", [
    (make_pipeline(FunctionTransformer(), LogisticRegression()), "functiontransformer"),
    (LogisticRegression(), "LogisticRegression"),
])
def test_what_an_export_cannot_hold_is_refused_by_name_and_leaves_no_file(bad, match, tmp_path):
    with pytest.raises(NotSavableError, match=match):
        export_model(bad, tmp_path / "bad.onnx", format="onnx")
    assert os.listdir(tmp_path) == []


def test_a_step_before_a_fitted_estimator_is_refused_by_name(tmp_path, multilabel):
    pipe = make_pipeline(FunctionTransformer(), multilabel)
    with pytest.raises(NotSavableError, match="'functiontransformer'.*FunctionTransformer"):
        export_model(pipe, tmp_path / "bad.tflite")
    assert os.listdir(tmp_path) == []


def test_an_earlier_file_is_left_as_it_was_when_an_export_is_refused(tmp_path, multilabel):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the earlier export")
    with pytest.raises(InvalidParameterError, match="format"):
        export_model(multilabel, path, format="tflite")
    with pytest.raises(InvalidParameterError, match="contradicts"):
        export_model(multilabel, path, format="litert")
    with pytest.raises(NotFittedError, match="not fitted"):
        export_model(CNNClassifier(), path, format="onnx")
    assert path.read_bytes() == b"the earlier export"
    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]


@pytest.mark.parametrize("format, match", [("onnx", "does not load in its runtime"),
                                           ("litert", "export refused this model")])
def test_a_converter_refusal_is_reported_and_leaves_no_file(format, match, tmp_path):
    import keras

    class Unconvertible(CNNClassifier):
        def _keras_build_fn(self, meta):  # erfinv: ONNX has no such op, LiteRT no kernel
            inputs = keras.Input(meta["image_shape_"])
            x = keras.layers.GlobalAveragePooling2D()(inputs)
            x = keras.ops.erfinv(x * 0.001)
            return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))

    X, y = toons(16, size=8)
    clf = Unconvertible(epochs=1, random_state=0).fit(X, y)
    path = tmp_path / f"erfinv{FORMATS[format]}"
    with pytest.raises(NotSavableError, match=match):
        export_model(clf, path, format=format)
    assert os.listdir(tmp_path) == []


def test_bad_paths_are_refused_before_any_work(tmp_path, multilabel):
    with pytest.raises(MissingFileError, match="does not exist"):
        export_model(multilabel, tmp_path / "missing" / "m.onnx", format="onnx")
    (tmp_path / "folder.onnx").mkdir()
    with pytest.raises(NotSavableError, match="folder"):
        export_model(multilabel, tmp_path / "folder.onnx", format="onnx")
    with pytest.raises(NotSavableError, match="NUL"):
        export_model(multilabel, "bad\0.onnx", format="onnx")


def test_the_runner_refuses_images_it_cannot_take(tmp_path, multilabel, images):
    path = tmp_path / "m.tflite"
    export_model(multilabel, path)
    exported = load_exported(path)
    with pytest.raises(ImageInputError, match=r"\(n, 16, 16, 3\)"):
        exported.predict_proba(images[:, :8])
    with pytest.raises(ImageInputError, match="0-255"):
        exported.predict_proba(images.astype(float) * 2)
    np.testing.assert_allclose(exported.predict_proba(images.astype(float)),
                               exported.predict_proba(images))
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(ValueError, match="not readable JSON"):
        load_exported(path)
    with pytest.raises(ValueError, match=".tflite"):
        load_exported(tmp_path / "m.json")
    with pytest.raises(ImageInputError, match="real pixel values"):
        exported.predict_proba(images.astype(complex))


def test_the_format_comes_from_the_suffix_and_a_contradiction_is_refused(multilabel,
                                                                        tmp_path):
    assert export_model(multilabel, tmp_path / "m.onnx")["format"] == "onnx"
    with open(tmp_path / "m.onnx", "rb") as stream:
        assert b"TFL3" not in stream.read(16)  # not a LiteRT file under an ONNX name
    with pytest.raises(InvalidParameterError, match="contradicts"):
        export_model(multilabel, tmp_path / "n.onnx", format="litert")
    with pytest.raises(InvalidParameterError, match="Cannot tell the format"):
        export_model(multilabel, tmp_path / "n.bin")
    assert export_model(multilabel, tmp_path / "n.bin", format="onnx")["format"] == "onnx"
    assert sorted(os.listdir(tmp_path)) == ["m.json", "m.onnx", "n.bin", "n.json"]


def test_a_tta_that_predicting_refuses_is_refused_by_export(tmp_path):
    X, y = toons(16, size=8)
    clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    for bad in (-1, 9, 0, "FLIP", True):
        with pytest.raises(InvalidParameterError, match="tta"):
            export_model(clf.set_params(tta=bad), tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []
    metadata = export_model(clf.set_params(tta=np.int64(2)), tmp_path / "m.onnx")
    assert metadata["tta"] == 2  # a numpy int, as a search hands it over, in the JSON


def test_names_too_long_for_the_file_system_are_refused_before_any_work(multilabel, tmp_path):
    earlier = tmp_path / ("x" * 250 + ".json")
    earlier.write_text("earlier")
    with pytest.raises(NotSavableError, match="longer than this file system allows"):
        export_model(multilabel, tmp_path / ("x" * 250 + ".tflite"))
    assert earlier.read_text() == "earlier" and len(os.listdir(tmp_path)) == 1


def test_passthrough_steps_are_skipped_and_a_nested_pipeline_is_named(multilabel, tmp_path):
    from sklearn.pipeline import Pipeline

    loader = ImageFolderLoader(size=(16, 16))
    flat = Pipeline([("nothing", "passthrough"), ("loader", loader), ("model", multilabel)])
    assert export_model(flat, tmp_path / "flat.onnx")["loader"]["size"] == [16, 16]
    nested = Pipeline([("loader", loader), ("inner", Pipeline([("model", multilabel)]))])
    with pytest.raises(NotSavableError, match="nested"):
        export_model(nested, tmp_path / "nested.onnx")
    with pytest.raises(NotSavableError, match="names a folder"):
        export_model(multilabel, f"{tmp_path}/new/")


def test_damaged_or_foreign_files_are_refused_as_model_files(tmp_path, multilabel):
    export_model(multilabel, tmp_path / "m.tflite")
    (tmp_path / "empty.tflite").write_bytes(b"")
    (tmp_path / "junk.onnx").write_bytes(b"\x00" * 10)
    (tmp_path / "swapped.onnx").write_bytes((tmp_path / "m.tflite").read_bytes())
    for name in ("empty.tflite", "junk.onnx", "swapped.onnx"):
        with pytest.raises(ModelFileError, match="Export it again"):
            load_exported(tmp_path / name)
    (tmp_path / "m.json").write_text("[1, 2]")
    with pytest.raises(ModelFileError, match="holds a list"):
        load_exported(tmp_path / "m.tflite")


def test_litert_on_a_keras_before_3_13_is_refused_by_name(multilabel, tmp_path, monkeypatch):
    import keras

    monkeypatch.setattr(keras, "__version__", "3.12.1")  # what an older install reports
    with pytest.raises(NotSavableError, match=r"needs Keras 3\.13 or later; this is Keras "
                                              r"3\.12\.1.*format='onnx'"):
        export_model(multilabel, tmp_path / "m.tflite")
    assert os.listdir(tmp_path) == []
    assert export_model(multilabel, tmp_path / "m.onnx")["format"] == "onnx"
