"""``checkpoint_dir`` (toonsklearn/estimators/_checkpoint.py): a fit interrupted or killed
resumes where it stopped, along its schedule, and only that fit: the fingerprint tells
other data and other networks apart and leaves their backups alone."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from tests.conftest import REPO_ROOT
from tests.keras_helpers import TINY, InterruptAt, RatesSeen, small_cnn, toons
from toonsklearn import CNNClassifier, MultiLabelCNN
from toonsklearn.exceptions import StaleCheckpointWarning

KERAS_SAVING_WARNING = r"__array__ implementation doesn't accept a copy keyword"


def test_checkpoint_resumes_after_keyboard_interrupt(tmp_path):
    X, y = toons()
    checkpoints = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=5, checkpoint_dir=checkpoints, callbacks=[InterruptAt(2)]).fit(X, y)
    assert any(checkpoints.rglob("*"))  # epochs 0 and 1 are backed up
    resumed = small_cnn(epochs=5, checkpoint_dir=checkpoints).fit(X, y)
    assert list(resumed.history_.index) == [1, 2, 3, 4, 5]  # the rows before the resume too
    assert resumed.history_["loss"].notna().all()
    backups = [p for p in checkpoints.rglob("*") if p.is_file() and p.name != "fingerprint.txt"]
    assert not backups  # cleaned once finished


@pytest.mark.slow
def test_checkpoint_resumes_after_the_process_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys, keras
        sys.path.insert(0, {REPO_ROOT!r})
        from tests.keras_helpers import TINY, toons
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


@pytest.mark.parametrize("change", ["data", "network"])
def test_another_fit_neither_resumes_nor_deletes_an_interrupted_one(tmp_path, change):
    X, y = toons()
    folder = tmp_path / "ckpt"
    (folder / "train").mkdir(parents=True)  # the user's own files stay untouched
    (folder / "train" / "notes.txt").write_text("mine")
    (folder / "head.png").write_bytes(b"mine")
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=5, checkpoint_dir=folder, callbacks=[InterruptAt(3)]).fit(X, y)
    if change == "data":
        other = {"X": X[::-1].copy(), "y": y[::-1].copy()}
        estimator = small_cnn(epochs=5, checkpoint_dir=folder)
    else:  # another network: Keras could not load the old backup into it
        other = {"X": X, "y": y}
        estimator = CNNClassifier(filters=(6,), convs_per_block=1,
                                  **{**TINY, "epochs": 5, "checkpoint_dir": folder})
    with pytest.warns(StaleCheckpointWarning, match=f"checkpoint_dir '{folder}' also holds 1"), \
            warnings.catch_warnings():
        # pytest.warns records every warning, so the filter of Keras' own saving warning
        # (keras-team/keras#21288, see quiet_tensorflow) must be said again inside it
        warnings.filterwarnings("ignore", KERAS_SAVING_WARNING, DeprecationWarning)
        estimator.fit(other["X"], other["y"])
    assert len(estimator.history_) == 5  # trained from epoch 0, not resumed at 3
    fresh = clone(estimator).set_params(checkpoint_dir=None).fit(other["X"], other["y"])
    np.testing.assert_allclose(estimator.predict_proba(other["X"]),
                               fresh.predict_proba(other["X"]), atol=1e-6)
    resumed = small_cnn(epochs=5, checkpoint_dir=folder).fit(X, y)  # the first one, later
    assert list(resumed.history_.index) == [1, 2, 3, 4, 5]
    assert (folder / "train" / "notes.txt").read_text() == "mine"
    assert (folder / "head.png").read_bytes() == b"mine"


def test_after_a_resumed_fit_partial_fit_still_trains(tmp_path):
    X, y = toons()
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=4, checkpoint_dir=tmp_path, callbacks=[InterruptAt(2)]).fit(X, y)
    clf = small_cnn(epochs=4, checkpoint_dir=tmp_path).fit(X, y)
    before = clf.predict_proba(X)
    clf.partial_fit(X, y)
    assert len(clf.history_) == 5 and not np.allclose(clf.predict_proba(X), before)


def test_a_resumed_fit_goes_on_along_the_schedule(tmp_path):
    X, y = toons()
    whole = RatesSeen()
    small_cnn(epochs=5, lr_schedule="cosine", callbacks=[whole]).fit(X, y)
    with pytest.raises(KeyboardInterrupt):
        small_cnn(epochs=5, lr_schedule="cosine", checkpoint_dir=tmp_path,
                  callbacks=[InterruptAt(2)]).fit(X, y)
    resumed = RatesSeen()
    small_cnn(epochs=5, lr_schedule="cosine", checkpoint_dir=tmp_path,
              callbacks=[resumed]).fit(X, y)
    assert resumed.end == pytest.approx(whole.end[2:])  # epochs 2 to 4, not from the start


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
