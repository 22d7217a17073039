"""The frozen-backbone feature cache (``memory=``): real fits of a tiny backbone, real
files in a real folder, and the hostile things a shared folder can hold."""

import os
import pickle
import shutil
import warnings

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from tests.conftest import REPO_ROOT, write_image
from tests.keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import MultiLabelCNN, TransferClassifier
from toonsklearn.exceptions import FeatureCacheWarning, ImageDecodeError
from toonsklearn.features import FOLDER, extractor_key, image_keys


def transfer(memory=None, **params):
    return TransferClassifier(tiny_backbone, memory=memory,
                              **{"preprocessing": "scale", "input_size": (16, 16), **TINY,
                                 **params})


def entries(folder) -> dict:
    """Every cache entry under ``folder``: path -> (inode, modification time)."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            info = os.stat(os.path.join(root, name))
            found[os.path.join(root, name)] = (info.st_ino, info.st_mtime_ns)
    return found


def extractor_folders(folder) -> list:
    return sorted(os.listdir(os.path.join(folder, FOLDER)))


@pytest.fixture(scope="module")
def data():
    return toons(n=40, size=16)


@pytest.fixture(scope="module")
def plain(data):
    """The same fit without a cache: what every cached fit must agree with."""
    X, y = data
    return transfer().fit(X, y)


# --- what the cache holds and who reads it ---------------------------------------------------


def test_a_cached_fit_predicts_as_an_uncached_one_and_stores_each_image_once(tmp_path, data,
                                                                             plain):
    X, y = data
    cached = transfer(tmp_path).fit(X, y)
    np.testing.assert_allclose(cached.predict_proba(X), plain.predict_proba(X), atol=1e-5)
    assert len(entries(tmp_path)) == 40 and len(extractor_folders(tmp_path)) == 1
    assert not any(name.endswith(".tmp") for name in entries(tmp_path))
    twice = np.concatenate([X, X[:5]])  # five images twice: computed and stored once
    proba = cached.set_params(memory=tmp_path / "again").predict_proba(twice)
    assert len(entries(tmp_path / "again")) == 40
    np.testing.assert_allclose(proba[40:], proba[:5], atol=1e-6)  # float32: batches differ


def test_other_folds_and_predictions_read_the_entries_instead_of_computing_them(tmp_path, data):
    X, y = data
    clf = transfer(tmp_path).fit(X, y)
    before = entries(tmp_path)
    transfer(tmp_path).fit(X[:25], y[:25]).predict(X[25:])
    assert entries(tmp_path) == before  # nothing recomputed, nothing rewritten
    # Predictions come from the entries: a planted entry changes the prediction.
    (key,) = image_keys(X[:1], is_paths=False)
    entry = next(path for path in before if os.path.basename(path) == f"{key}.npy")
    head = clf.model_.get_layer("head")
    planted = np.full(np.load(entry).shape, 3.0, dtype=np.float32)
    np.save(entry, planted)
    expected = clf._proba_from_outputs(head.predict(planted[None], verbose=0))
    np.testing.assert_allclose(clf.predict_proba(X[:1]), expected, atol=1e-6)


def test_predictions_from_the_cache_go_chunk_by_chunk_and_agree_with_one_chunk(
        tmp_path, data, monkeypatch):
    import toonsklearn.estimators._transfer as transfer_module

    X, y = data
    clf = transfer(tmp_path).fit(X[:30], y[:30])
    whole = clf.predict_proba(X)  # ten images new to the cache, in one chunk
    monkeypatch.setattr(transfer_module, "_PREDICT_CHUNK", 7)  # 40 = 5 chunks of 7, and 5
    np.testing.assert_allclose(clf.predict_proba(X), whole, atol=1e-6)
    cold = clf.set_params(memory=tmp_path / "cold").predict_proba(X[::-1])  # computed in chunks
    np.testing.assert_allclose(cold, whole[::-1], atol=1e-5)
    assert len(entries(tmp_path / "cold")) == 40


def test_worker_processes_of_a_grid_search_read_the_shared_folder(tmp_path, data):
    X, y = data
    grid = {"dropout": [0.0, 0.5]}
    # No refits: the folds (each computing or reading all 40 images) are what is checked.
    alone = GridSearchCV(transfer(tmp_path), grid, cv=2, refit=False).fit(X, y)
    before = entries(tmp_path)
    assert len(before) == 40 and len(extractor_folders(tmp_path)) == 1
    workers = GridSearchCV(transfer(tmp_path), grid, cv=2, n_jobs=2, refit=False).fit(X, y)
    assert entries(tmp_path) == before  # every worker read, none recomputed
    np.testing.assert_allclose(workers.cv_results_["mean_test_score"],
                               alone.cv_results_["mean_test_score"])


def test_pickling_an_estimator_leaves_the_extractor_key_as_it_was():
    """scikeras registers Keras' Functional class anew when it first pickles a model; a
    process that has saved an estimator must find the entries a fresh worker writes."""
    import subprocess
    import sys

    code = """
import pickle, sys, keras
sys.path.insert(0, sys.argv[1])
from tests.keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import TransferClassifier
from toonsklearn.features import extractor_key
X, y = toons(n=16, size=16)
est = TransferClassifier(tiny_backbone, preprocessing="scale", input_size=(16, 16),
                         **TINY).fit(X, y)
extractor = keras.Model(est.model_.input, est.model_.get_layer("features").output)
before = extractor_key(extractor)
pickle.dumps(est)
print(before == extractor_key(extractor), flush=True)
import os
os._exit(0)  # done: no second of TensorFlow's teardown
"""
    out = subprocess.run([sys.executable, "-c", code, REPO_ROOT],
                         capture_output=True, text=True, timeout=180, check=True)
    assert out.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("change", [{"random_state": 1}, {"preprocessing": "tf"},
                                    {"input_size": (12, 12)}])
def test_other_weights_preprocessing_or_input_size_get_their_own_entries(tmp_path, data,
                                                                         change):
    X, y = data
    transfer(tmp_path).fit(X, y)
    transfer(tmp_path, **change).fit(X, y)
    assert len(extractor_folders(tmp_path)) == 2
    assert len(entries(tmp_path)) == 80


def test_the_head_parameters_share_the_entries(tmp_path, data):
    X, y = data
    transfer(tmp_path).fit(X, y)
    transfer(tmp_path, dropout=0.5, dense_units=8, learning_rate=0.1).fit(X, y)
    assert len(extractor_folders(tmp_path)) == 1 and len(entries(tmp_path)) == 40


def test_image_files_are_keyed_by_their_bytes(tmp_path, data):
    X, y = data
    paths = np.array([write_image(tmp_path / "img" / f"{i}.bmp", image)
                      for i, image in enumerate(X)])  # BMP: the same size whatever the pixels
    cache = tmp_path / "cache"
    clf = transfer(cache).fit(paths, y)
    array_clf = transfer().fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(paths), array_clf.predict_proba(X), atol=1e-5)
    before = entries(cache)
    shutil.copy(paths[3], tmp_path / "copy.bmp")  # the same bytes elsewhere: the same entry
    clf.predict_proba(np.array([str(tmp_path / "copy.bmp")]))
    assert entries(cache) == before
    info = os.stat(paths[0])
    flipped = X[:1, :, ::-1]
    write_image(tmp_path / "img" / "0.bmp", flipped[0])  # new pixels, the same size ...
    os.utime(paths[0], ns=(info.st_atime_ns, info.st_mtime_ns))  # ... and the same time
    assert os.stat(paths[0]).st_size == info.st_size
    proba = clf.predict_proba(paths[:1])
    assert len(entries(cache)) == len(before) + 1
    np.testing.assert_allclose(proba, array_clf.predict_proba(flipped), atol=1e-5)


def test_multilabel_on_a_backbone_trains_its_head_on_cached_features(tmp_path):
    X, Y = toons(n=40, size=16, task="multilabel")
    params = dict(backbone=tiny_backbone, preprocessing="scale", **TINY)
    cached = MultiLabelCNN(memory=tmp_path, **params).fit(X, Y)
    assert len(entries(tmp_path)) == 40
    plain = MultiLabelCNN(**params).fit(X, Y)
    np.testing.assert_allclose(cached.predict_proba(X), plain.predict_proba(X), atol=1e-5)
    assert (cached.predict(X) == plain.predict(X)).all()


def test_a_scratch_multilabel_network_ignores_memory(tmp_path):
    X, Y = toons(n=24, size=16, task="multilabel")
    MultiLabelCNN(filters=(4,), memory=tmp_path / "unused", **TINY).fit(X, Y).predict(X)
    assert not (tmp_path / "unused").exists()


def test_fine_tuned_and_augmented_models_predict_from_their_own_network(tmp_path, data):
    X, y = data
    tuned = transfer(tmp_path, fine_tune_layers=1, fine_tune_epochs=1).fit(X, y)
    assert len(entries(tmp_path)) == 40  # the head phase's features only
    np.testing.assert_allclose(tuned.predict_proba(X)[:, 1],
                               tuned.model_.predict(X, verbose=0).ravel(), atol=1e-5)
    assert len(extractor_folders(tmp_path)) == 1  # predictions did not cache new weights
    augmented = transfer(tmp_path / "aug", augment="light").fit(X, y)
    assert not (tmp_path / "aug").exists()  # trained on new pixels every epoch
    outputs = augmented.model_.predict(X, verbose=0).ravel()
    np.testing.assert_allclose(augmented.predict_proba(X)[:, 1], outputs, atol=1e-5)
    assert len(entries(tmp_path / "aug")) == 40  # a frozen backbone's predictions cache


def test_a_saved_model_predicts_from_pixels_without_the_cache(tmp_path, data):
    X, y = data
    clf = transfer(tmp_path / "cache").fit(X, y)
    expected = clf.predict_proba(X)
    clf.model_.save(tmp_path / "model.keras")
    shutil.rmtree(tmp_path / "cache")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0).ravel(), expected[:, 1], atol=1e-5)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), expected, atol=1e-5)


def test_memory_takes_a_joblib_memory_and_clones(tmp_path, data):
    X, y = data
    clf = transfer(joblib.Memory(tmp_path, verbose=0))
    assert str(clone(clf).memory.location) == str(tmp_path)
    clf.fit(X, y)
    assert len(entries(tmp_path / FOLDER)) == 40
    transfer(joblib.Memory(None)).fit(X, y)  # a Memory without a folder caches nothing
    assert len(entries(tmp_path / FOLDER)) == 40


# --- hostile input ------------------------------------------------------------------------


def test_a_bad_memory_value_is_refused_before_anything_is_trained(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match="'memory' parameter"):
        transfer(3).fit(X, y)

    class CacheWithoutFolder:
        def cache(self, func):
            return func

    clf = transfer(CacheWithoutFolder())
    with pytest.raises(TypeError, match="memory must be None, a folder path or a joblib"):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


def plant(kind, path):
    path.unlink()
    if kind == "garbage":
        path.write_bytes(b"not a numpy file at all")
    elif kind == "truncated":
        path.write_bytes(np.lib.format.magic(1, 0) + b"\x76\x00{'descr': '<f4', 'fortran")
    elif kind == "wrong shape":
        np.save(path, np.zeros(3, dtype=np.float32))
    elif kind == "pickled objects":
        np.save(path, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    elif kind == "huge":
        with open(path, "wb") as entry:
            entry.truncate(2**31)  # sparse: 2 GiB that must not be read
    elif kind == "huge header":  # a valid header that claims 2**40 floats
        with open(path, "wb") as entry:
            np.lib.format.write_array_header_1_0(
                entry, {"descr": "<f4", "fortran_order": False, "shape": (2**40,)})
    elif kind == "zip":
        path.write_bytes(b"PK\x03\x04" + bytes(60))
    elif kind == "npz":
        with open(path, "wb") as entry:
            np.savez(entry, features=np.zeros(6, dtype=np.float32))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken link":
        path.symlink_to(path.parent / "nowhere.npy")


@pytest.mark.parametrize("kind", ["garbage", "truncated", "wrong shape", "pickled objects",
                                  "huge", "huge header", "zip", "npz", "fifo",
                                  "broken link"])
def test_a_damaged_entry_is_computed_again_and_replaced(tmp_path, data, plain, kind):
    X, y = data
    clf = transfer(tmp_path).fit(X, y)
    (key,) = image_keys(X[:1], is_paths=False)
    entry = next(tmp_path.rglob(f"{key}.npy"))
    good = np.load(entry)
    plant(kind, entry)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureCacheWarning)
        proba = clf.predict_proba(X[:3])
    np.testing.assert_allclose(proba, plain.predict_proba(X[:3]), atol=1e-5)
    assert entry.is_file() and not entry.is_symlink()
    np.testing.assert_allclose(np.load(entry), good, atol=1e-6)


def test_an_unwritable_cache_warns_and_the_fit_goes_on(tmp_path, data, plain):
    X, y = data
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.warns(FeatureCacheWarning, match="40 image features could not be written") as w:
        clf = transfer(blocker).fit(X, y)
    assert w[0].filename == __file__  # the user's line
    with pytest.warns(FeatureCacheWarning, match="40 image features"):
        proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, plain.predict_proba(X), atol=1e-5)
    assert blocker.read_text() == "not a folder"


def test_a_folder_where_an_entry_belongs_warns_once_and_loses_nothing(tmp_path, data, plain):
    X, y = data
    transfer(tmp_path).fit(X, y)
    (key,) = image_keys(X[:1], is_paths=False)
    entry = next(tmp_path.rglob(f"{key}.npy"))
    entry.unlink()
    entry.mkdir()
    with pytest.warns(FeatureCacheWarning, match="1 image features"):
        clf = transfer(tmp_path).fit(X, y)
    with pytest.warns(FeatureCacheWarning, match="1 image features"):
        proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, plain.predict_proba(X), atol=1e-5)


def test_a_corrupt_image_names_its_file_and_leaves_no_half_written_entry(tmp_path, data):
    X, y = data
    paths = np.array([write_image(tmp_path / "img" / f"{i}.png", image)
                      for i, image in enumerate(X)])
    with open(paths[30], "r+b") as image:
        image.truncate(40)
    clf = transfer(tmp_path / "cache")
    with pytest.raises(ImageDecodeError, match="30.png"):
        clf.fit(paths, y)
    assert not hasattr(clf, "model_")
    assert not any(name.endswith(".tmp") for name in entries(tmp_path / "cache"))


# --- the keys ---------------------------------------------------------------------------------


def test_image_keys_follow_content_not_identity(tmp_path):
    X = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    a = image_keys(X, is_paths=False)
    assert a == image_keys(X.copy(), is_paths=False) and a[0] != a[1]
    assert image_keys(X.astype(np.float32), is_paths=False) != a
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    image = write_image(tmp_path / "a.png", X[0])
    keys = image_keys(np.array([image, str(tmp_path / "missing.png"), str(fifo)]), True)
    assert keys[0] is not None and keys[1:] == [None, None]


def residual(skip_from_first_conv: bool):
    inputs = keras.Input((8, 8, 3))
    first = keras.layers.Conv2D(3, 3, padding="same")(inputs)
    second = keras.layers.Conv2D(3, 3, padding="same")(first)
    added = keras.layers.Add()([second, first if skip_from_first_conv else inputs])
    return keras.Model(inputs, added)


def test_extractor_keys_ignore_layer_names_but_not_weights_or_wiring():
    keras.utils.set_random_seed(0)
    first = residual(True)
    keras.utils.set_random_seed(0)
    second = residual(True)  # the same network under new automatic names
    keras.utils.set_random_seed(0)
    rewired = residual(False)  # the same layers and weights, another skip connection
    assert first.layers[1].name != second.layers[1].name
    assert extractor_key(first) == extractor_key(second) != extractor_key(rewired)
    second.layers[1].kernel.assign(second.layers[1].kernel * 2)
    assert extractor_key(first) != extractor_key(second)


def scaled(factor):
    inputs = keras.Input((8, 8, 3))
    return keras.Model(inputs, keras.layers.Conv2D(3, 3)(inputs * factor))


def test_operations_on_tensors_count_but_their_automatic_names_do_not():
    keras.utils.set_random_seed(0)
    twice = scaled(2.0)
    keras.utils.set_random_seed(0)
    again = scaled(2.0)
    keras.utils.set_random_seed(0)
    thrice = scaled(3.0)
    assert extractor_key(twice) == extractor_key(again) != extractor_key(thrice)


class Apply(keras.layers.Layer):
    """A custom layer whose argument (a function) no get_config can describe."""

    def __init__(self, function, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def call(self, x):
        return self.function(x)


def backbone_with_a_function(input_shape):
    inputs = keras.Input(input_shape)
    x = Apply(lambda t: t * 0.5)(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(4, 3, activation="relu")(x))


def test_a_layer_without_a_configuration_is_not_cached(tmp_path, data):
    X, y = data
    clf = TransferClassifier(backbone_with_a_function, memory=tmp_path,
                             **{"input_size": (16, 16), **TINY})
    with pytest.warns(FeatureCacheWarning, match="without a complete get_config"):
        clf.fit(X, y)
    assert not (tmp_path / FOLDER).exists()
    plain = clf.set_params(memory=None).predict_proba(X)
    with pytest.warns(FeatureCacheWarning, match="computed, not cached"):
        cached = clf.set_params(memory=tmp_path).predict_proba(X)
    np.testing.assert_allclose(cached, plain, atol=1e-5)


def test_a_model_fitted_before_set_params_predicts_from_its_own_network(tmp_path):
    X, Y = toons(n=24, size=16, task="multilabel")
    clf = MultiLabelCNN(filters=(4,), **TINY).fit(X, Y)
    expected = clf.predict_proba(X)
    clf.set_params(backbone=tiny_backbone, memory=tmp_path)  # not refitted
    np.testing.assert_allclose(clf.predict_proba(X), expected)
    assert not tmp_path.joinpath(FOLDER).exists()
