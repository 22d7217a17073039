"""Save and load (toonsklearn/io/_persist.py): every kind of model round-trips into a fresh
process; types outside the allow-list, Keras code and Keras releases with a safe_mode
bypass are refused; missing and odd paths are named."""

import json
import os
import signal
import subprocess
import sys
import tempfile

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from tests.conftest import REPO_ROOT, run_forked, unprivileged_user
from tests.io.conftest import needs_safe_keras, retarget_manifest, rewrite, with_schema
from tests.keras_helpers import tiny_backbone
from toonsklearn import ImageTransformer, TransferClassifier
from toonsklearn.exceptions import (
    MissingFileError,
    ModelFileError,
    ModelVersionWarning,
    NotSavableError,
    NotWritableError,
    UnreadableFileError,
    UntrustedTypeError,
)
from toonsklearn.io import TRUSTED_TYPES, load, save, untrusted_types

pytestmark = needs_safe_keras


class Doubler(TransformerMixin, BaseEstimator):
    """A user's own step: importable, but not on toonsklearn's allow-list."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X) * 2


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


def test_the_allow_list_holds_only_ours_scikeras_numpy_bunch_and_calibration_types():
    outside = {name for name in TRUSTED_TYPES if name.split(".")[0] not in ("toonsklearn",
                                                                             "scikeras")}
    # a fold's calibrator: plain data (a slope, an intercept, a temperature)
    calibration = {f"sklearn.calibration._{name}" for name in (
        "CalibratedClassifier", "SigmoidCalibration", "TemperatureScaling")}
    assert outside == {"numpy.dtype", "sklearn.utils._bunch.Bunch", *calibration}


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


def test_saving_to_an_empty_path_is_refused_before_anything_is_written(tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotSavableError, match="empty path"):
        save(LogisticRegression(), "")
    assert os.listdir(tmp_path) == []


class _Scaled(keras.layers.Layer):
    """A user's layer that takes an array but has no get_config: Keras cannot store it."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


def _backbone(layer):
    inputs = keras.Input((16, 16, 3))
    return keras.Model(inputs, layer(tiny_backbone((16, 16, 3))(inputs)), name="backbone")


@pytest.mark.parametrize("layer, message", [
    (keras.layers.Lambda(lambda t: t * 2, name="doubled"),
     "layer 'doubled' \\(Lambda\\), which runs a Python lambda"),
    (_Scaled(np.array([3.0]), name="scaled"),
     "layer 'scaled' \\(_Scaled\\), which has no get_config"),
])
def test_a_keras_layer_load_could_never_rebuild_is_refused_at_save_by_name(tmp_path, layer,
                                                                          message):
    path = tmp_path / "model.toonsklearn"
    save(LogisticRegression(C=2.0), path)
    before = path.read_bytes()
    model = TransferClassifier(_backbone(layer), preprocessing="scale")
    with pytest.raises(NotSavableError, match=f"TransferClassifier.backbone holds the Keras "
                                              f"{message}"):
        save(model, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.toonsklearn"]


def test_saving_into_a_folder_one_may_not_write_names_the_folder(shared_tmp):
    shared_tmp.chmod(0o555)
    path = shared_tmp / "model.toonsklearn"
    with pytest.raises(NotWritableError, match="may not create or replace files") as caught:
        run_forked(lambda: save(LogisticRegression(), path), user=unprivileged_user())
    assert isinstance(caught.value, PermissionError) and caught.value.path == str(shared_tmp)


def test_any_legal_file_name_saves_and_an_illegal_one_is_refused_by_name(tmp_path):
    longest = tmp_path / ("m" * (255 - len(".toonsklearn")) + ".toonsklearn")
    save(LogisticRegression(C=3.0), longest)
    assert load(longest).C == 3.0 and os.listdir(tmp_path) == [longest.name]
    with pytest.raises(NotSavableError, match="longer than this file system allows"):
        save(LogisticRegression(), tmp_path / ("m" * 256))
    nul = str(tmp_path / "a\0b.toonsklearn")
    with pytest.raises(NotSavableError, match="NUL byte") as caught:
        save(LogisticRegression(), nul)
    assert caught.value.path == nul
    with pytest.raises(ModelFileError, match="NUL byte"):
        load(nul)


def test_loading_a_file_one_may_not_read_names_it(shared_tmp):
    path = shared_tmp / "model.toonsklearn"
    save(LogisticRegression(), path)
    path.chmod(0o600)
    with pytest.raises(UnreadableFileError, match="may not read it") as caught:
        run_forked(lambda: load(path), user=unprivileged_user())
    assert isinstance(caught.value, PermissionError) and caught.value.path == str(path)


_KILLED = """
import sys, time
from toonsklearn._utils.replace import replacing, scratch_folder
with scratch_folder() as scratch, replacing(sys.argv[1]) as partial:
    with open(partial, "wb") as handle:
        handle.write(b"half a model" * 100_000)
    print(scratch, partial, sep="\\n", flush=True)
    time.sleep(600)
"""


def _saving(target):
    """A process caught mid-save: its partial file written, its scratch folder made."""
    process = subprocess.Popen([sys.executable, "-c", _KILLED, str(target)], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().split() + process.stdout.readline().split()


def test_a_killed_save_leaves_nothing_that_the_next_save_does_not_remove(saved, tmp_path):
    alive, (live_scratch, live_partial) = _saving(tmp_path / "other.toonsklearn")
    killed, (scratch, partial) = _saving(tmp_path / "model.toonsklearn")
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    try:
        assert os.path.isdir(scratch) and os.path.getsize(partial) > 1_000_000
        assert os.path.dirname(scratch) == tempfile.gettempdir()
        save(saved["cnn"][0], tmp_path / "model.toonsklearn")  # holds a Keras model: scratch
        assert not os.path.exists(scratch) and not os.path.exists(partial)
        assert os.path.isdir(live_scratch) and os.path.exists(live_partial)  # still saving
        assert sorted(os.listdir(tmp_path)) == sorted(["model.toonsklearn",
                                                       os.path.basename(live_partial)])
    finally:
        alive.kill()
        alive.wait()
        alive.stdout.close()
        killed.stdout.close()


def test_a_path_ending_in_a_slash_is_refused_as_a_folder_before_any_work(tmp_path):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression().fit([[0.0], [1.0]], ["jerry", "tom"])
    with pytest.raises(NotSavableError, match="names a folder"):
        save(clf, f"{tmp_path}/new/")
    assert list(tmp_path.iterdir()) == []
