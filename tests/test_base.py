"""The machinery shared by the three estimators (toonsklearn/estimators/_base.py and
_training.py, _data.py, _callbacks.py)."""

import os
import pickle
import subprocess
import sys
import textwrap
import threading

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import tensorflow as tf
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from conftest import solid, write_image
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
    ImageDecodeError,
    MissingFileError,
    NotRegularFileError,
    ScaledImagesWarning,
    StaleCheckpointWarning,
    TrainingDataError,
)


def small_cnn(**params):
    return CNNClassifier(filters=(4, 8), convs_per_block=1, **{**TINY, **params})


ALL_THREE = [
    small_cnn(),
    TransferClassifier(tiny_backbone, preprocessing="scale", **TINY),
    MultiLabelCNN(filters=(4,), convs_per_block=1, **TINY),
]


@pytest.mark.parametrize("estimator", ALL_THREE, ids=lambda e: type(e).__name__)
def test_estimators_are_classifiers_with_stratified_folds(estimator):
    assert is_classifier(estimator)
    assert get_tags(estimator).estimator_type == "classifier"
    mro = type(estimator).mro()
    assert mro.index(ClassifierMixin) < mro.index(BaseEstimator)
    assert isinstance(check_cv(3, np.array([0, 1] * 5), classifier=is_classifier(estimator)),
                      StratifiedKFold)


def test_cross_val_score_and_grid_search_on_paths(toon_tree):
    data = load_image_folder(toon_tree, subset="train")
    scores = cross_val_score(small_cnn(input_size=(16, 16)), data.paths, data.target, cv=2)
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))
    search = GridSearchCV(small_cnn(input_size=(16, 16)),
                          {"learning_rate": [0.01, 0.001]}, cv=2).fit(data.paths, data.target)
    assert search.best_params_["learning_rate"] in (0.01, 0.001)
    assert search.predict(data.paths[:3]).shape == (3,)


def test_path_mode_matches_array_mode(toon_tree):
    data = load_image_folder(toon_tree, subset="train")
    images = ImageFolderLoader(size=(16, 16)).transform(data.paths)
    from_paths = small_cnn(input_size=(16, 16)).fit(data.paths, data.target)
    from_arrays = small_cnn().fit(images, data.target)
    np.testing.assert_allclose(from_paths.predict_proba(data.paths),
                               from_arrays.predict_proba(images), rtol=1e-5, atol=1e-6)
    pd_history = from_paths.history_.reset_index(drop=True)
    np.testing.assert_allclose(pd_history["loss"], from_arrays.history_["loss"], rtol=1e-5)


def test_path_mode_trains_at_the_size_the_files_share(toon_tree):
    """As an array of the same files would: 16x16 drawings train at 16x16, not 128x128."""
    data = load_image_folder(toon_tree, subset="train")
    from_paths = small_cnn().fit(data.paths, data.target)
    images = ImageFolderLoader(size=None).fit_transform(data.paths)  # at their own size
    from_arrays = small_cnn().fit(images, data.target)
    assert from_paths.image_shape_ == from_arrays.image_shape_ == (16, 16, 3)
    np.testing.assert_allclose(from_paths.predict_proba(data.paths),
                               from_arrays.predict_proba(images), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sizes", [[(16, 16), (16, 20)], [(8, 140), (8, 140)]],
                         ids=["mixed", "too-wide"])
def test_path_mode_trains_at_the_default_size_unless_the_files_share_a_small_one(
        tmp_path, sizes):
    from toonsklearn.base import DEFAULT_PATH_SIZE

    paths = [write_image(tmp_path / f"{i}.png", solid(*size, colour=(40 * i, 0, 0)))
             for i, size in enumerate(sizes * 2)]
    clf = small_cnn(epochs=1).fit(paths, [0, 0, 1, 1])
    assert clf.image_shape_ == (*DEFAULT_PATH_SIZE, 3)
    assert small_cnn(input_size=(8, 8), epochs=1).fit(paths, [0, 0, 1, 1]).image_shape_ == (
        8, 8, 3)  # input_size still wins


def test_an_unreadable_file_fails_the_fit_before_training_and_names_it(toon_tree, tmp_path):
    data = load_image_folder(toon_tree, subset="train")
    (tmp_path / "fake.png").write_text("not an image")
    os.mkfifo(tmp_path / "pipe.png")
    clf = small_cnn()
    for bad, error in [("fake.png", ImageDecodeError), ("pipe.png", NotRegularFileError)]:
        with pytest.raises(error, match=bad):  # from its header, without a hang
            clf.fit([*data.paths[:6], str(tmp_path / bad)], [*data.target[:6], "a"])
        assert not hasattr(clf, "image_shape_") and not hasattr(clf, "model_")


def test_same_seed_same_predictions_other_seed_differs():
    X, y = toons()
    a = small_cnn(random_state=1).fit(X, y).predict_proba(X)
    b = small_cnn(random_state=1).fit(X, y).predict_proba(X)
    c = small_cnn(random_state=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_history_has_one_row_per_epoch_with_validation():
    X, y = toons()
    clf = small_cnn(epochs=4, validation_fraction=0.25).fit(X, y)
    assert list(clf.history_.index) == [0, 1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(clf.history_.columns)
    assert clf.current_epoch == 4


def test_early_stopping_stops_and_keeps_the_best_epoch():
    X, y = toons()
    clf = small_cnn(epochs=40, learning_rate=5.0, early_stopping=2, lr_schedule="constant",
                    validation_fraction=0.25).fit(X, y)
    n_epochs = len(clf.history_)
    best = int(clf.history_["val_loss"].idxmin())
    assert n_epochs < 40
    assert n_epochs == best + 3  # stopped after `patience` epochs without improvement


def test_under_the_cosine_schedule_early_stopping_watches_from_the_middle_on():
    X, y = toons()
    clf = small_cnn(epochs=20, learning_rate=5.0, early_stopping=2, lr_schedule="cosine",
                    validation_fraction=0.25).fit(X, y)
    watched = clf.history_["val_loss"][10:]
    assert clf.best_epoch_ == int(watched.idxmin())  # the best of the second half
    assert len(clf.history_) in (20, clf.best_epoch_ + 3)


def test_class_weight_moves_predictions_to_the_weighted_class():
    X, y = toons(64)
    plain = small_cnn().fit(X, y).predict(X)
    weighted = small_cnn(class_weight={"tom": 50.0, "jerry": 1.0}).fit(X, y).predict(X)
    assert (weighted == "tom").mean() > (plain == "tom").mean()
    assert (weighted == "tom").mean() > 0.8
    balanced = small_cnn(class_weight="balanced").fit(X[:40], y[:40])
    assert set(balanced.classes_) == {"jerry", "tom"}


def test_augmentation_only_during_fit():
    X, y = toons()
    clf = small_cnn(augment="strong").fit(X, y)
    names = [type(layer).__name__ for layer in clf.model_.layers]
    assert {"RandomFlip", "RandomRotation", "RandomContrast"} <= set(names)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    flip = next(layer for layer in clf.model_.layers if type(layer).__name__ == "RandomRotation")
    batch = X[:8].astype("float32")
    assert not np.allclose(keras.ops.convert_to_numpy(flip(batch, training=True)), batch)


class _InterruptAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_checkpoint_resumes_after_keyboard_interrupt(tmp_path):
    X, y = toons()
    checkpoints = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=5, checkpoint_dir=checkpoints, callbacks=[_InterruptAt(2)]).fit(X, y)
    assert any(checkpoints.rglob("*"))  # epochs 0 and 1 are backed up
    resumed = small_cnn(epochs=5, checkpoint_dir=checkpoints).fit(X, y)
    assert list(resumed.history_.index) == [0, 1, 2, 3, 4]  # the rows before the resume too
    assert resumed.history_["loss"].notna().all()
    backups = [p for p in checkpoints.rglob("*") if p.is_file() and p.name != "fingerprint.txt"]
    assert not backups  # cleaned once finished


@pytest.mark.slow
def test_checkpoint_resumes_after_the_process_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys, keras
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from keras_helpers import TINY, toons
        from toonsklearn import CNNClassifier

        class Kill(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 3:
                    os._exit(17)  # no cleanup, no exception: like kill -9

        X, y = toons()
        CNNClassifier(filters=(4, 8), convs_per_block=1, **{{**TINY, "epochs": 5}},
                      checkpoint_dir={str(tmp_path)!r}, callbacks=[Kill()]).fit(X, y)
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert killed.returncode == 17, killed.stderr.decode()[-2000:]
    X, y = toons()
    resumed = small_cnn(epochs=5, checkpoint_dir=tmp_path).fit(X, y)
    assert len(resumed.history_) == 5


def test_fitted_pipeline_predicts_the_same_in_a_fresh_process(tmp_path, toon_tree):
    data = load_image_folder(toon_tree, subset="train")
    test = load_image_folder(toon_tree, subset="test")
    pipe = make_pipeline(ImageFolderLoader(size=(16, 16)), small_cnn()).fit(data.paths,
                                                                           data.target)
    clf = TransferClassifier(tiny_backbone, preprocessing="scale", **TINY)
    clf.fit(ImageFolderLoader(size=(16, 16)).transform(data.paths), data.target)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    (tmp_path / "clf.pkl").write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "paths.npy", test.paths)
    script = textwrap.dedent(f"""
        import pickle, sys, joblib, numpy as np
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from toonsklearn import ImageFolderLoader
        root = {str(tmp_path)!r}
        paths = np.load(root + "/paths.npy")
        pipe = joblib.load(root + "/pipe.joblib")
        clf = pickle.loads(open(root + "/clf.pkl", "rb").read())
        np.save(root + "/pipe_proba.npy", pipe.predict_proba(paths))
        images = ImageFolderLoader(size=(16, 16)).transform(paths)
        np.save(root + "/clf_proba.npy", clf.predict_proba(images))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "pipe_proba.npy"),
                               pipe.predict_proba(test.paths), rtol=1e-6)
    images = ImageFolderLoader(size=(16, 16)).transform(test.paths)
    np.testing.assert_allclose(np.load(tmp_path / "clf_proba.npy"), clf.predict_proba(images),
                               rtol=1e-6)


def test_clone_of_a_fitted_estimator_is_unfitted():
    X, y = toons()
    fitted = small_cnn().fit(X, y)
    fresh = clone(fitted)
    assert fresh.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        fresh.predict(X)


def test_saved_keras_model_takes_raw_pixels(tmp_path):
    X, y = toons()
    clf = TransferClassifier(tiny_backbone, preprocessing="tf", **TINY).fit(X, y)
    clf.model_.save(tmp_path / "toons.keras")
    loaded = keras.saving.load_model(tmp_path / "toons.keras")
    raw = keras.ops.convert_to_numpy(loaded(X[:6].astype("float32")))
    np.testing.assert_allclose(np.hstack([1 - raw, raw]), clf.predict_proba(X[:6]), rtol=1e-5)


def test_arrays_of_another_size_are_resized_like_the_transformer():
    X, y = toons(size=20)
    clf = small_cnn(input_size=(16, 16)).fit(X, y)
    assert clf.image_shape_ == (16, 16, 3)
    resized = ImageTransformer(size=(16, 16)).fit_transform(X)
    np.testing.assert_allclose(clf.predict_proba(X), clf.predict_proba(resized), rtol=1e-6)


def test_bad_input_gets_errors_that_say_what_to_do():
    X, y = toons()
    clf = small_cnn().fit(X, y)
    with pytest.raises(ValueError, match="3 channels.*\\(n_samples, height, width, 3\\)"):
        clf.predict(X[..., :1])
    with pytest.raises(TypeError, match="sparse"):
        small_cnn().fit(scipy.sparse.csr_matrix(np.ones((4, 3))), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="one class"):
        small_cnn().fit(X, ["tom"] * len(X))
    with pytest.raises(ValueError, match="requires y"):
        small_cnn().fit(X, None)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*'sgd'"):
        small_cnn(optimizer="adamm").fit(X, y)
    matrix = small_cnn().fit(np.random.default_rng(0).random((20, 4)), [0, 1] * 10)
    with pytest.raises(ValueError, match="X has 3 features.*expecting 4"):
        matrix.predict(np.zeros((2, 3)))


def test_float_images_in_unit_range_warn():
    X, y = toons()
    with pytest.warns(ScaledImagesWarning, match="Multiply by 255"):
        small_cnn(epochs=1).fit(X / 255.0, y)


def test_verbose_shows_keras_progress_and_callbacks_run(capsys):
    X, y = toons()
    seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    small_cnn(verbose=2, callbacks=[callback]).fit(X, y)
    assert "Epoch 3/3" in capsys.readouterr().out
    assert seen == [0, 1, 2]


def test_partial_fit_trains_one_epoch_per_call():
    X, y = toons()
    clf = small_cnn()
    clf.partial_fit(X[:24], y[:24], classes=np.array(["jerry", "tom"]))
    clf.partial_fit(X[24:], y[24:])
    assert len(clf.history_) == 2
    assert list(clf.classes_) == ["jerry", "tom"]
    assert clf.predict(X).shape == (len(X),)


def test_initialize_builds_without_training():
    X, y = toons()
    clf = small_cnn().initialize(X, y)
    assert clf.model_.output_shape == (None, 1)
    assert not hasattr(clf, "history_")


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


# --- faults fixed for issue 10 -----------------------------------------------------------


def test_a_failed_refit_leaves_the_fitted_estimator_as_it_was(toon_tree, tmp_path):
    data = load_image_folder(toon_tree, subset="train")
    clf = small_cnn(input_size=(16, 16)).fit(data.paths, data.target)
    before = clf.predict_proba(data.paths)
    fitted = {name: value for name, value in vars(clf).items() if name.endswith("_")}
    paths = np.array([*data.paths[:10], str(tmp_path / "gone.png")])
    with pytest.raises(MissingFileError, match="gone.png"):  # ours, not TensorFlow's
        clf.fit(paths, np.array(["a", "b"] * 5 + ["c"]))
    assert set(fitted) == {name for name in vars(clf) if name.endswith("_")}
    assert all(vars(clf)[name] is value for name, value in fitted.items())
    np.testing.assert_array_equal(clf.predict_proba(data.paths), before)


def test_path_mode_predict_names_a_missing_or_corrupt_file(toon_tree, tmp_path):
    data = load_image_folder(toon_tree, subset="train")
    clf = small_cnn(input_size=(16, 16), epochs=1).fit(data.paths, data.target)
    (tmp_path / "fake.png").write_text("not an image")
    with pytest.raises(ImageDecodeError, match="fake.png"):
        clf.predict([*data.paths[:3], str(tmp_path / "fake.png")])
    with pytest.raises(MissingFileError, match="gone.png"):
        clf.predict_proba([str(tmp_path / "gone.png")])


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


def test_predict_warns_on_images_scaled_to_the_unit_range():
    X, y = toons()
    clf = small_cnn(epochs=1).fit(X, y)
    with pytest.warns(ScaledImagesWarning, match="Multiply by 255"):
        clf.predict(X / 255.0)


def test_partial_fit_with_classes_accepts_a_batch_of_one_class():
    X, y = toons()
    clf = small_cnn()
    jerry = y == "jerry"
    clf.partial_fit(X[jerry], y[jerry], classes=["jerry", "tom"])
    clf.partial_fit(X[~jerry], y[~jerry])
    assert list(clf.classes_) == ["jerry", "tom"] and clf.current_epoch == 2


def test_routed_parameters_are_refused_and_objects_search_instead():
    with pytest.raises(ValueError, match="no routed parameters such as 'optimizer__momentum'"):
        small_cnn().set_params(optimizer__momentum=0.9)
    X, y = toons()
    with pytest.raises(ValueError, match="routed"):
        GridSearchCV(small_cnn(epochs=1), {"optimizer__momentum": [0.5, 0.9]}, cv=2).fit(X, y)
    grid = {"optimizer": [keras.optimizers.SGD(momentum=0.9), "adam"]}
    search = GridSearchCV(small_cnn(epochs=1), grid, cv=2).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert isinstance(clone(search.best_estimator_).optimizer, (str, keras.optimizers.SGD))


def test_best_epoch_is_recorded_and_marked_in_history():
    X, y = toons()
    clf = small_cnn(epochs=40, learning_rate=5.0, early_stopping=2,
                    validation_fraction=0.25).fit(X, y)
    best = int(clf.history_["val_loss"].idxmin())
    assert clf.best_epoch_ == best
    assert clf.history_["best"].tolist() == [epoch == best for epoch in clf.history_.index]
    plain = small_cnn().fit(X, y)  # no early stopping: the last epoch's weights are kept
    assert plain.best_epoch_ == len(plain.history_) - 1 and plain.history_["best"].iloc[-1]


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


@pytest.mark.parametrize("change", ["data", "network"])
def test_another_fit_neither_resumes_nor_deletes_an_interrupted_one(tmp_path, change):
    X, y = toons()
    folder = tmp_path / "ckpt"
    (folder / "train").mkdir(parents=True)  # the user's own files stay untouched
    (folder / "train" / "notes.txt").write_text("mine")
    (folder / "head.png").write_bytes(b"mine")
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=5, checkpoint_dir=folder, callbacks=[_InterruptAt(3)]).fit(X, y)
    if change == "data":
        other = {"X": X[::-1].copy(), "y": y[::-1].copy()}
        estimator = small_cnn(epochs=5, checkpoint_dir=folder)
    else:  # another network: Keras could not load the old backup into it
        other = {"X": X, "y": y}
        estimator = CNNClassifier(filters=(6,), convs_per_block=1,
                                  **{**TINY, "epochs": 5, "checkpoint_dir": folder})
    with pytest.warns(StaleCheckpointWarning, match=f"checkpoint_dir '{folder}' also holds 1"):
        estimator.fit(other["X"], other["y"])
    assert len(estimator.history_) == 5  # trained from epoch 0, not resumed at 3
    fresh = clone(estimator).set_params(checkpoint_dir=None).fit(other["X"], other["y"])
    np.testing.assert_allclose(estimator.predict_proba(other["X"]),
                               fresh.predict_proba(other["X"]), atol=1e-6)
    resumed = small_cnn(epochs=5, checkpoint_dir=folder).fit(X, y)  # the first one, later
    assert list(resumed.history_.index) == [0, 1, 2, 3, 4]
    assert (folder / "train" / "notes.txt").read_text() == "mine"
    assert (folder / "head.png").read_bytes() == b"mine"


def test_after_a_resumed_fit_partial_fit_still_trains(tmp_path):
    X, y = toons()
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=4, checkpoint_dir=tmp_path, callbacks=[_InterruptAt(2)]).fit(X, y)
    clf = small_cnn(epochs=4, checkpoint_dir=tmp_path).fit(X, y)
    before = clf.predict_proba(X)
    clf.partial_fit(X, y)
    assert len(clf.history_) == 5 and not np.allclose(clf.predict_proba(X), before)


def test_label_sets_and_search_grids_fingerprint_apart_and_alike(tmp_path):
    from toonsklearn.estimators._checkpoint import fingerprint
    from toonsklearn.estimators._data import ImageSource

    X, Y = toons(24, task="multilabel")
    sets = [{"tom", "jerry"} if row.all() else {"tom"} if row[0] else set() for row in Y]
    clf = MultiLabelCNN(filters=(4,), convs_per_block=1, checkpoint_dir=tmp_path,
                        **{**TINY, "epochs": 1}).fit(X, sets)  # label sets of any length
    source = ImageSource(X, False, clf.image_shape_)
    y_model = clf._encode_target(sets, reset=False)
    twin = MultiLabelCNN(**clf.get_params()).fit(X, sets)  # as a resumed run would be
    assert fingerprint(clf, source, y_model) == fingerprint(twin, source, y_model)
    grid = [small_cnn(kernel_size=np.int64(k)) for k in (3, 5)]
    for estimator in grid:
        estimator.classes_ = np.array(["jerry", "tom"])
    assert fingerprint(grid[0], source, y_model) != fingerprint(grid[1], source, y_model)


def test_multilabel_split_keeps_a_positive_training_image_of_every_label():
    X, Y = toons(24, task="multilabel")
    Y = np.column_stack([Y, np.eye(24, 1, -23, dtype=Y.dtype)])  # a label on one image only
    clf = MultiLabelCNN(validation_fraction=0.5)
    clf._encode_target(Y, reset=True)
    for seed in range(5):
        clf._random_state = seed
        train, val = clf._split(len(Y), Y)
        assert Y[train].any(axis=0)[Y.any(axis=0)].all()
        assert not set(train) & set(val)


def test_a_too_large_validation_split_names_a_class_of_a_pandas_column():
    X, y = toons(20)
    labels = pd.Series(y, dtype=object)
    labels.iloc[0] = "spike"
    with pytest.raises(TrainingDataError, match="class '(spike|jerry|tom)' would have none"):
        small_cnn(validation_fraction=0.95).fit(X, labels)


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


def test_the_old_base_module_still_imports():
    from toonsklearn.base import ImageClassifierBase
    from toonsklearn.estimators._base import ImageClassifierBase as new

    assert ImageClassifierBase is new and issubclass(CNNClassifier, new)


def test_same_seed_same_predictions_in_a_fresh_process(tmp_path):
    X, y = toons()
    here = small_cnn(random_state=5).fit(X, y).predict_proba(X)
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_base import small_cnn
        from keras_helpers import toons
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


def test_a_seeded_fit_leaves_the_callers_tensorflow_seed_as_it_was():
    from tensorflow.python.eager import context

    X, y = toons()
    tf.random.set_seed(1234)
    try:
        small_cnn(random_state=0, epochs=1).fit(X, y)
        assert context.global_seed() == 1234
    finally:
        tf.random.set_seed(None)


QUIET_FIT = textwrap.dedent("""
    import os, sys
    from toonsklearn import CNNClassifier  # first, as a user's script would
    sys.path.insert(0, sys.argv[1])
    from keras_helpers import TINY, tiny_backbone, toons
    X, y = toons(24, size=8)
    CNNClassifier(filters=(4,), convs_per_block=1, **{**TINY, "epochs": 2, "verbose": 1,
                                                     "validation_fraction": 0.25}).fit(X, y)
    # A head trained on features, seeded, with a partial last batch (18 = 16 + 2)
    from toonsklearn import TransferClassifier
    TransferClassifier(tiny_backbone, preprocessing="scale",
                       **{**TINY, "epochs": 1, "batch_size": 16,
                          "validation_fraction": 0.25}).fit(X, y)
    print("TF_CPP_MIN_LOG_LEVEL=" + os.environ.get("TF_CPP_MIN_LOG_LEVEL", "unset"))
""")


def run_fit_logging_to_pipes(**env):
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", QUIET_FIT, os.path.dirname(__file__)],
                          capture_output=True, text=True, check=True, env={**environ, **env})


def test_a_fit_logged_to_a_file_has_plain_lines_and_no_tensorflow_noise():
    run = run_fit_logging_to_pipes()
    for noise in ("I0000", "E0000", "absl::InitializeLog", "oneDNN", "cuInit", "cuda drivers",
                  "use_unbounded_threadpool"):
        assert noise not in run.stderr, run.stderr[-2000:]
    epochs = [line for line in run.stdout.splitlines() if line.startswith("Epoch")]
    assert [line.split(" - ")[0] for line in epochs] == ["Epoch 1/2", "Epoch 2/2"]
    assert "val_loss: " in epochs[-1]
    assert "\r" not in run.stdout and "\x1b" not in run.stdout and "\b" not in run.stdout
    assert "TF_CPP_MIN_LOG_LEVEL=2" in run.stdout


def test_a_log_level_the_user_chose_is_kept():
    assert "TF_CPP_MIN_LOG_LEVEL=1" in run_fit_logging_to_pipes(TF_CPP_MIN_LOG_LEVEL="1").stdout


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


def test_tensorflows_retracing_advice_is_dropped_and_its_other_warnings_kept():
    import logging

    logger = logging.getLogger("tensorflow")

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, (), None)

    assert not logger.filter(record("5 out of the last 7 calls to <function f> triggered "
                                    "tf.function retracing. Tracing is expensive"))
    assert logger.filter(record("Gradients do not exist for variables"))


class _RatesSeen(keras.callbacks.Callback):
    """The optimizer's learning rate at the start and end of every epoch."""

    def __init__(self):
        super().__init__()
        self.begin, self.end = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.begin.append(float(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch, logs=None):
        self.end.append(float(self.model.optimizer.learning_rate))


def test_the_cosine_schedule_warms_up_then_decays_to_zero_at_the_last_epoch():
    X, y = toons()  # 48 images: 6 steps of 8 an epoch, 60 in 10 epochs
    rates = _RatesSeen()
    small_cnn(epochs=10, lr_schedule="cosine", callbacks=[rates]).fit(X, y)
    assert rates.begin[0] == pytest.approx(0.001)  # a tenth of learning_rate=0.01
    assert rates.end[0] == pytest.approx(0.01)  # the warm-up is the first tenth of steps
    assert all(np.diff(rates.end) < 0)
    assert rates.end[-1] == pytest.approx(0.0, abs=1e-9)
    constant = _RatesSeen()
    small_cnn(epochs=3, lr_schedule="constant", callbacks=[constant]).fit(X, y)
    assert constant.begin + constant.end == pytest.approx([0.01] * 6)


def test_each_phase_of_a_fine_tuned_transfer_has_a_schedule_of_its_own():
    X, y = toons()  # as above, the warm-up of each phase is its first epoch
    rates = _RatesSeen()
    TransferClassifier(tiny_backbone, preprocessing="scale", fine_tune_layers="all",
                       fine_tune_epochs=10, fine_tune_learning_rate=1e-3, lr_schedule="cosine",
                       callbacks=[rates], **{**TINY, "epochs": 10}).fit(X, y)
    head, fine_tune = rates.end[:10], rates.end[10:]
    assert len(fine_tune) == 10
    assert head[0] == pytest.approx(0.01) and fine_tune[0] == pytest.approx(1e-3)
    assert head[-1] == pytest.approx(0.0, abs=1e-9)
    assert fine_tune[-1] == pytest.approx(0.0, abs=1e-9)


def test_a_resumed_fit_goes_on_along_the_schedule(tmp_path):
    X, y = toons()
    whole = _RatesSeen()
    small_cnn(epochs=5, lr_schedule="cosine", callbacks=[whole]).fit(X, y)
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=5, lr_schedule="cosine", checkpoint_dir=tmp_path,
                  callbacks=[_InterruptAt(2)]).fit(X, y)
    resumed = _RatesSeen()
    small_cnn(epochs=5, lr_schedule="cosine", checkpoint_dir=tmp_path,
              callbacks=[resumed]).fit(X, y)
    assert resumed.end == pytest.approx(whole.end[2:])  # epochs 2 to 4, not from the start


def test_partial_fit_trains_at_the_constant_rate_after_a_scheduled_fit():
    X, y = toons()
    clf = small_cnn(epochs=2, lr_schedule="cosine").fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)
    clf.partial_fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.01)
    fresh = small_cnn(lr_schedule="cosine").partial_fit(X, y)
    assert float(fresh.model_.optimizer.learning_rate) == pytest.approx(0.01)


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


@pytest.mark.parametrize("network", [dict(filters=(4,), convs_per_block=1),
                                     dict(backbone=tiny_backbone, preprocessing="scale")],
                         ids=["scratch", "frozen backbone"])
def test_multilabel_trains_along_the_cosine_schedule_by_default(network):
    X, Y = toons(task="multilabel")  # 48 images: 6 steps of 8 an epoch, as above
    rates = _RatesSeen()
    MultiLabelCNN(callbacks=[rates], **network, **{**TINY, "epochs": 10}).fit(X, Y)
    assert rates.end[0] == pytest.approx(0.01)  # warmed up over the first epoch
    assert all(np.diff(rates.end) < 0)
    assert rates.end[-1] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("params, message", [
    ({"lr_schedule": "linear"}, "'lr_schedule' parameter .*'cosine'.*Got 'linear'"),
    ({"label_smoothing": 1.0}, "'label_smoothing' parameter .* range"),
    ({"label_smoothing": -0.1}, "'label_smoothing' parameter .* range"),
])
def test_a_bad_schedule_or_smoothing_is_refused_by_name(params, message):
    X, y = toons()
    with pytest.raises(ValueError, match=message):
        small_cnn(**params).fit(X, y)
