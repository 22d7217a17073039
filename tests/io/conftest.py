"""What the toonsklearn.io tests share: fitted models of every kind, saved once, and ways
to rewrite a saved file as an attacker or a damaged disk would."""

import hashlib
import io
import json
import zipfile

import joblib
import keras
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from tests.keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import (
    CNNClassifier,
    ImageFolderLoader,
    ImageTransformer,
    MultiLabelCNN,
    TransferClassifier,
    load_image_folder,
)
from toonsklearn.io import SAFE_KERAS, save

SAFE = tuple(int(part) for part in keras.version().split(".")[:2]) >= SAFE_KERAS
# Loading refuses Keras releases whose safe_mode a crafted file can bypass; with one of
# those installed (CI's oldest-versions run), the refusal itself is what is tested
# (test_unsafe_keras.py): the other tests are skipped.
needs_safe_keras = pytest.mark.skipif(not SAFE,
                                      reason=f"io.load refuses Keras {keras.version()}")


SMALL_CNN = dict(filters=(4,), dense_units=8, **TINY)


@pytest.fixture(scope="session")
def data():
    return toons(n=24, size=16, task="multiclass")


@pytest.fixture(scope="session")
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


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)
