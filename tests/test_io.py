import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import (
    CNNClassifier,
    ImageFolderLoader,
    ImageTransformer,
    MultiLabelCNN,
    TransferClassifier,
    load_image_folder,
)
from toonsklearn.exceptions import (
    MissingFileError,
    ModelFileError,
    ModelVersionWarning,
    NotSavableError,
    UntrustedTypeError,
)
from toonsklearn.io import SAFE_KERAS, TRUSTED_TYPES, load, save, untrusted_types

SAFE = tuple(int(part) for part in keras.version().split(".")[:2]) >= SAFE_KERAS
# Loading refuses Keras releases whose safe_mode a crafted file can bypass; with one of
# those installed (CI's oldest-versions run), the refusal itself is what is tested.
pytestmark = pytest.mark.skipif(not SAFE, reason=f"io.load refuses Keras {keras.version()}")

SMALL_CNN = dict(filters=(4,), dense_units=8, **TINY)


class Doubler(TransformerMixin, BaseEstimator):
    """A user's own step: importable, but not on toonsklearn's allow-list."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X) * 2


@pytest.fixture(scope="module")
def data():
    return toons(n=24, size=16, task="multiclass")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, data, toon_tree):
    """Fitted models of every kind, saved, with the probabilities they gave before."""
    X, y = data
    folder = tmp_path_factory.mktemp("saved")
    models = {
        "cnn": (CNNClassifier(optimizer=keras.optimizers.SGD(momentum=0.9), **SMALL_CNN),
                X, y),
        "transfer": (TransferClassifier(tiny_backbone((16, 16, 3)), preprocessing="scale",
                                        memory=joblib.Memory(str(folder / "cache"), verbose=0),
                                        input_size=(16, 16), **TINY), X, y),
        "multilabel": (MultiLabelCNN(**SMALL_CNN), X, [("tom",), ("tom", "jerry"), ()] * 8),
        "pipeline": (make_pipeline(ImageTransformer(size=(12, 12)), CNNClassifier(**SMALL_CNN)),
                     X, y),
    }
    train = load_image_folder(toon_tree, subset="train")
    models["sklearn"] = (make_pipeline(ImageFolderLoader(size=(8, 8)),
                                       ImageTransformer(normalize="scale", flatten=True),
                                       LogisticRegression(max_iter=200)),
                         train.paths, train.target)
    out = {}
    for name, (model, X_fit, y_fit) in models.items():
        model.fit(X_fit, y_fit)
        path = folder / f"{name}.toonsklearn"
        save(model, path)
        out[name] = (model, path, X_fit, model.predict_proba(X_fit))
    return out


def rewrite(source, target, change):
    """Copy the archive ``source`` to ``target`` with ``change(name, data)`` applied."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            result = change(name, old.read(name))
            if result is not None:
                new.writestr(name, result)
    return target


def retarget_manifest(name, data, members):
    """A manifest whose checksums agree with ``members``, as a careful attacker writes it."""
    if name != "manifest.json":
        return members.get(name, data)
    manifest = json.loads(data)
    for member, content in members.items():
        manifest["members"][member] = {"size": len(content),
                                       "sha256": hashlib.sha256(content).hexdigest()}
    return json.dumps(manifest).encode()


def with_schema(source, target, edit):
    """A copy of the saved file ``source`` whose skops schema ``edit(schema)`` changed in
    place, its manifest's checksums rewritten to match."""
    with zipfile.ZipFile(source) as archive:
        inner = archive.read("estimator.skops")
    schema = json.loads(zipfile.ZipFile(io.BytesIO(inner)).read("schema.json"))
    edit(schema)
    members = {"estimator.skops": rewrite(io.BytesIO(inner), io.BytesIO(), lambda name, data:
                                          json.dumps(schema) if name == "schema.json"
                                          else data).getvalue()}
    return rewrite(source, target, lambda name, data: retarget_manifest(name, data, members))


def test_every_kind_round_trips_in_a_fresh_process_with_identical_predictions(saved, tmp_path):
    for name, (_, _, X, _) in saved.items():
        np.save(tmp_path / f"{name}_X.npy", np.asarray(X))
    code = """
import sys, numpy as np
from pathlib import Path
from toonsklearn.io import load
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
for name in sys.argv[3:]:
    model = load(folder / f"{name}.toonsklearn")
    X = np.load(out / f"{name}_X.npy")
    np.save(out / f"{name}_proba.npy", model.predict_proba(X))
    final = model[-1] if hasattr(model, "steps") else model
    history = final.history_.to_csv() if hasattr(final, "history_") else ""
    (out / f"{name}.txt").write_text(history)
"""
    folder = next(iter(saved.values()))[1].parent
    subprocess.run([sys.executable, "-c", code, str(folder), str(tmp_path), *saved],
                   check=True, timeout=300, capture_output=True)
    for name, (model, _, _, proba) in saved.items():
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_proba.npy"), proba, atol=1e-6,
                                   err_msg=name)
        final = model[-1] if hasattr(model, "steps") else model
        if hasattr(final, "history_"):
            assert final.history_.to_csv() == (tmp_path / f"{name}.txt").read_text()


def test_a_loaded_model_keeps_its_parameters_history_and_can_train_on(saved):
    model, path, X, proba = saved["cnn"]
    loaded = load(path)
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)
    assert loaded.optimizer.momentum == pytest.approx(0.9)
    pd.testing.assert_frame_equal(loaded.history_, model.history_)
    assert list(loaded.classes_) == list(model.classes_)
    assert loaded.predict(X[:3]).tolist() == model.predict(X[:3]).tolist()
    loaded.partial_fit(X, model.predict(X))  # the compiled optimizer came back with it
    assert loaded.current_epoch == model.current_epoch + 1
    transfer = load(saved["transfer"][1])
    assert transfer.memory == saved["transfer"][0].memory.location  # a folder: nothing made
    multilabel = load(saved["multilabel"][1])
    assert list(multilabel.classes_) == ["jerry", "tom"]


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


def test_the_manifest_says_what_is_where_and_with_which_versions(saved):
    with zipfile.ZipFile(saved["pipeline"][1]) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert manifest["format"] == "toonsklearn" and manifest["format_version"] == 1
    assert manifest["object"] == "sklearn.pipeline.Pipeline"
    assert {"toonsklearn", "scikit-learn", "keras", "skops", "numpy"} <= set(
        manifest["versions"])
    assert manifest["keras_models"] == [{"member": "keras/0.keras",
                                         "attribute": "Pipeline.steps[1][1].model_"}]
    assert set(manifest["members"]) == {"estimator.skops", "keras/0.keras"}


@pytest.mark.parametrize("content, message", [
    (b"", "not a zip archive"),
    (pickle.dumps({"a": 1}), "looks like a pickle"),
    (b"PK\x03\x04 not really", "not a zip archive"),
])
def test_a_file_that_is_no_archive_is_refused_by_name(tmp_path, content, message):
    path = tmp_path / "model.toonsklearn"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as caught:
        load(path)
    assert caught.value.path == str(path)


def test_a_joblib_file_is_refused_without_being_unpickled(saved, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(saved["cnn"][0], path)
    with pytest.raises(ModelFileError, match="not a zip archive.*pickle.*joblib.load"):
        load(path)


def test_a_truncated_file_is_refused(saved, tmp_path):
    data = saved["cnn"][1].read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        path = tmp_path / f"cut{cut}.toonsklearn"
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="cut short|truncated|damaged"):
            load(path)


def test_a_zip_of_something_else_is_refused(tmp_path):
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    with pytest.raises(ModelFileError, match="no manifest.json"):
        load(path)


def test_a_changed_member_fails_its_checksum(saved, tmp_path):
    def flip(name, data):
        if name == "keras/0.keras":
            return data[:-200] + bytes([data[-200] ^ 1]) + data[-199:]
        return data

    path = rewrite(saved["cnn"][1], tmp_path / "flipped.toonsklearn", flip)
    with pytest.raises(ModelFileError, match="'keras/0.keras' does not match its SHA-256"):
        load(path)


def test_members_the_manifest_does_not_list_or_lacks_are_refused(saved, tmp_path):
    source = saved["cnn"][1]
    extra = tmp_path / "extra.toonsklearn"
    with zipfile.ZipFile(extra, "w") as new, zipfile.ZipFile(source) as old:
        for name in old.namelist():
            new.writestr(name, old.read(name))
        new.writestr("payload.py", "import os")
    with pytest.raises(ModelFileError, match="'payload.py', which its manifest does not list"):
        load(extra)
    missing = rewrite(source, tmp_path / "missing.toonsklearn",
                      lambda name, data: None if name == "keras/0.keras" else data)
    with pytest.raises(ModelFileError, match="lacks 'keras/0.keras'"):
        load(missing)


def test_a_compressed_member_is_refused_before_it_is_inflated(saved, tmp_path):
    path = tmp_path / "deflated.toonsklearn"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as new, \
            zipfile.ZipFile(saved["cnn"][1]) as old:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    with pytest.raises(ModelFileError, match="compressed, which save never does"):
        load(path)


@pytest.mark.parametrize("edit, message", [
    (lambda m: b"{not json", "manifest.json is malformed"),
    (lambda m: json.dumps({**m, "format": "other"}).encode(), "not a toonsklearn manifest"),
    (lambda m: json.dumps({k: v for k, v in m.items() if k != "members"}).encode(),
     "malformed"),
    (lambda m: json.dumps({**m, "format_version": 99}).encode(), "newer toonsklearn"),
    (lambda m: json.dumps({**m, "keras_models": [{"member": "nowhere"}]}).encode(),
     "names a Keras model it does not hold"),
    (lambda m: json.dumps({**m, "keras_models": m["keras_models"] * 3}).encode(),
     "names one member twice"),
    (lambda m: json.dumps({**m, "keras_models": 5}).encode(), "names a Keras model"),
    (lambda m: json.dumps({**m, "members": list(m["members"])}).encode(), "members is not"),
    (lambda m: json.dumps({**m, "versions": "keras"}).encode(), "versions is not a map"),
    (lambda m: b"[1, 2]", "not a JSON object"),
    (lambda m: b"[" * 100_000, "malformed"),  # too deep for the JSON reader
    (lambda m: json.dumps({**m, "format_version": 0}).encode(), "format_version of 1"),
    (lambda m: json.dumps({**m, "format_version": True}).encode(), "format_version of 1"),
])
def test_a_bad_manifest_is_refused_by_what_is_wrong(saved, tmp_path, edit, message):
    def change(name, data):
        return edit(json.loads(data)) if name == "manifest.json" else data

    path = rewrite(saved["cnn"][1], tmp_path / "edited.toonsklearn", change)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_a_huge_manifest_is_refused_unread(saved, tmp_path):
    path = rewrite(saved["cnn"][1], tmp_path / "huge.toonsklearn",
                   lambda name, data: data + b" " * (1 << 20) if name == "manifest.json"
                   else data)
    with pytest.raises(ModelFileError, match="far more than save writes"):
        load(path)


def test_a_type_swapped_in_by_an_attacker_is_refused_by_name_and_never_built(saved, tmp_path):
    def popen(schema):
        schema["__module__"], schema["__class__"] = "subprocess", "Popen"

    path = with_schema(saved["cnn"][1], tmp_path / "evil.toonsklearn", popen)
    with pytest.raises(UntrustedTypeError, match="subprocess.Popen") as caught:
        load(path)
    assert caught.value.types == ["subprocess.Popen"]
    assert untrusted_types(path) == ["subprocess.Popen"]


def test_a_users_own_step_needs_to_be_trusted_by_name(tmp_path, data):
    X, y = data
    model = make_pipeline(Doubler(), ImageTransformer(flatten=True),
                          LogisticRegression(max_iter=50)).fit(X, y)
    path = tmp_path / "mine.toonsklearn"
    save(model, path)
    name = f"{Doubler.__module__}.Doubler"
    assert untrusted_types(path) == [name]
    with pytest.raises(UntrustedTypeError, match=f"trusted=\\['{name}'\\]"):
        load(path)
    loaded = load(path, trusted=[Doubler])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert load(path, trusted=name).steps[0][0] == "doubler"


def test_a_keras_model_carrying_python_code_is_refused_by_safe_mode(saved, tmp_path):
    inputs = keras.Input((16, 16, 3))
    evil = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    evil.save(tmp_path / "evil.keras")
    members = {"keras/0.keras": (tmp_path / "evil.keras").read_bytes()}
    path = rewrite(saved["cnn"][1], tmp_path / "lambda.toonsklearn",
                   lambda name, data: retarget_manifest(name, data, members))
    with pytest.raises(ModelFileError, match="safe_mode=True.*Lambda"):
        load(path)


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


def test_a_failed_save_keeps_the_earlier_file_and_leaves_no_partial_one(saved, tmp_path):
    path = tmp_path / "model.toonsklearn"
    save(LogisticRegression(C=2.0), path)
    before = path.read_bytes()
    broken = LogisticRegression()
    broken.unsavable_ = (x for x in range(3))  # skops has no way to store a generator
    with pytest.raises(NotSavableError, match="skops cannot store"):
        save(broken, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.toonsklearn"]
    assert load(path).C == 2.0


def test_save_and_load_name_a_missing_folder_a_folder_a_fifo_and_a_wrong_type(tmp_path):
    with pytest.raises(MissingFileError, match="does not exist"):
        save(LogisticRegression(), tmp_path / "no" / "such.toonsklearn")
    with pytest.raises(NotSavableError, match="is a folder"):
        save(LogisticRegression(), tmp_path)
    with pytest.raises(NotSavableError, match="received a dict"):
        save({"not": "an estimator"}, tmp_path / "d.toonsklearn")
    with pytest.raises(MissingFileError, match="does not exist"):
        load(tmp_path / "absent.toonsklearn")
    with pytest.raises(ModelFileError, match="not a regular file"):
        load(tmp_path)
    fifo = tmp_path / "fifo.toonsklearn"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        load(fifo)  # refused from its mode: opening a FIFO would block


def test_a_broken_link_is_a_missing_file(tmp_path):
    link = tmp_path / "link.toonsklearn"
    link.symlink_to(tmp_path / "gone.toonsklearn")
    with pytest.raises(MissingFileError):
        load(link)


def test_a_file_from_other_versions_loads_with_a_warning(saved, tmp_path):
    def older(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["versions"]["scikit-learn"] = "0.0.1"
        return json.dumps(manifest).encode()

    path = rewrite(saved["cnn"][1], tmp_path / "old.toonsklearn", older)
    with pytest.warns(ModelVersionWarning, match="scikit-learn 0.0.1") as record:
        load(path)
    assert record[0].filename == __file__


def test_the_allow_list_holds_only_toonsklearn_scikeras_numpy_and_bunch_types():
    outside = {name for name in TRUSTED_TYPES if name.split(".")[0] not in ("toonsklearn",
                                                                             "scikeras")}
    assert outside == {"numpy.dtype", "sklearn.utils._bunch.Bunch"}



def test_a_skops_member_that_could_inflate_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved["cnn"][1]) as archive:
        inner = archive.read("estimator.skops")
    deflated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(inner)) as old, zipfile.ZipFile(
            deflated, "w", compression=zipfile.ZIP_BZIP2) as new:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    schema = json.loads(zipfile.ZipFile(io.BytesIO(inner)).read("schema.json"))
    array_file = next(node["file"] for node in _walk(schema) if "file" in node)
    schema["content"]["repeated"] = [{"__class__": "ndarray", "__module__": "numpy",
                                      "__loader__": "NdArrayNode", "type": "numpy",
                                      "file": array_file}] * 50
    repeated = rewrite(io.BytesIO(inner), io.BytesIO(), lambda name, data: json.dumps(
        schema) if name == "schema.json" else data).getvalue()
    for content, message in ((deflated.getvalue(), "holds compressed members"),
                             (repeated, "several objects read one stored array")):
        members = {"estimator.skops": content}
        path = rewrite(saved["cnn"][1], tmp_path / "inflating.toonsklearn",
                       lambda name, data, members=members: retarget_manifest(name, data,
                                                                             members))
        with pytest.raises(ModelFileError, match=message):
            load(path)


def optimizer_config(schema) -> dict:
    """The skops node holding the JSON of the CNN's stored optimizer."""
    stand_in = next(node for node in _walk(schema) if node.get("__class__") == "KerasOptimizer")
    return stand_in["content"]["content"]["config"]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


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


def test_a_saved_file_is_readable_by_others_as_the_umask_allows(tmp_path):
    path = tmp_path / "shared.toonsklearn"
    old = os.umask(0o022)
    try:
        save(LogisticRegression(), path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_keras_member_that_is_no_keras_archive_or_inflates_is_refused(saved, tmp_path):
    model = tmp_path / "m.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(model)
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(model) as old, zipfile.ZipFile(
            deflated, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    for content, message in ((b"junk" * 100, "is not the archive save writes"),
                             (deflated.read_bytes(), "holds compressed members")):
        members = {"keras/0.keras": content}
        path = rewrite(saved["cnn"][1], tmp_path / "keras.toonsklearn",
                       lambda name, data, members=members: retarget_manifest(name, data,
                                                                             members))
        with pytest.raises(ModelFileError, match=f"'keras/0.keras' {message}"):
            load(path)


def test_a_keras_model_swapped_in_from_another_file_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved["multilabel"][1]) as archive:
        other = archive.read("keras/0.keras")  # 2 outputs, where the CNN has 7 classes
    members = {"keras/0.keras": other}
    path = rewrite(saved["cnn"][1], tmp_path / "swapped.toonsklearn",
                   lambda name, data: retarget_manifest(name, data, members))
    with pytest.raises(ModelFileError, match="gives 2 outputs where it expects 7"):
        load(path)


def test_saving_to_an_empty_path_is_refused_before_anything_is_written(tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotSavableError, match="empty path"):
        save(LogisticRegression(), "")
    assert os.listdir(tmp_path) == []
