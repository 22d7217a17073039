"""What the toonsklearn.io tests share: fitted models of every kind, saved once, and ways
to rewrite a saved file as an attacker or a damaged disk would."""

import hashlib
import io
import json
import zipfile

import h5py
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


def with_keras_part(source, target, config=None, weights=None):
    """A copy of the saved file ``source`` whose Keras model ``keras/0.keras`` has its
    ``config.json`` changed by ``config(dict)`` and its ``model.weights.h5`` by
    ``weights(h5py.File)``, in place; the manifest's checksums rewritten to match."""
    with zipfile.ZipFile(source) as archive:
        part = archive.read("keras/0.keras")

    def change(name, data):
        if name == "config.json" and config is not None:
            edited = json.loads(data)
            config(edited)
            return json.dumps(edited)
        if name == "model.weights.h5" and weights is not None:
            buffer = io.BytesIO(data)
            with h5py.File(buffer, "a") as h5:
                weights(h5)
            return buffer.getvalue()
        return data

    members = {"keras/0.keras": rewrite(io.BytesIO(part), io.BytesIO(), change).getvalue()}
    return rewrite(source, target, lambda name, data: retarget_manifest(name, data, members))


def flagged(archive: bytes, member: str, *, encrypted=False, bad_name=False) -> bytes:
    """The zip ``archive`` with ``member`` flagged encrypted (bit 0x1), or renamed to
    bytes that are not UTF-8 while flagged UTF-8 (bit 0x800), in its local header and
    its central directory entry alike: zipfile writes neither itself."""
    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as parsed:
        local, start = parsed.getinfo(member).header_offset, parsed.start_dir
    name = member.encode()
    central = start
    while data[central:central + 4] == b"PK\x01\x02":
        size = 46 + sum(int.from_bytes(data[central + at:central + at + 2], "little")
                        for at in (28, 30, 32))
        if data[central + 46:central + 46 + len(name)] == name:
            break
        central += size
    for header, flags, name_at in ((local, 6, 30), (central, 8, 46)):
        bits = int.from_bytes(data[header + flags:header + flags + 2], "little")
        bits |= (0x1 if encrypted else 0) | (0x800 if bad_name else 0)
        data[header + flags:header + flags + 2] = bits.to_bytes(2, "little")
        if bad_name:
            data[header + name_at:header + name_at + len(name)] = b"\xff" * len(name)
    return bytes(data)
