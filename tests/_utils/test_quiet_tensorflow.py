"""TensorFlow without its start-up noise (toonsklearn/_utils/quiet_tensorflow.py): a fit
logged to a file in a fresh process, the log level a user chose, the retracing advice."""

import os
import subprocess
import sys
import textwrap

from tests.conftest import REPO_ROOT

QUIET_FIT = textwrap.dedent("""
    import os, sys
    from toonsklearn import CNNClassifier  # first, as a user's script would
    sys.path.insert(0, sys.argv[1])
    from tests.keras_helpers import TINY, tiny_backbone, toons
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
    return subprocess.run([sys.executable, "-c", QUIET_FIT, REPO_ROOT],
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


def test_tensorflows_retracing_advice_is_dropped_and_its_other_warnings_kept():
    import logging

    import toonsklearn._utils.quiet_tensorflow  # noqa: F401 (the module under test)

    logger = logging.getLogger("tensorflow")

    def record(message):
        return logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, (), None)

    assert not logger.filter(record("5 out of the last 7 calls to <function f> triggered "
                                    "tf.function retracing. Tracing is expensive"))
    assert logger.filter(record("Gradients do not exist for variables"))


def test_keras_saving_warns_nothing_about_numpy_copy_semantics():
    # NumPy 2's DeprecationWarning about __array__'s copy keyword, raised by Keras once
    # per weight on every save (keras-team/keras#21288), is the one Keras warning hidden.
    code = textwrap.dedent("""
        import pickle
        from toonsklearn import CNNClassifier
        from toonsklearn.datasets import make_toons
        X, y = make_toons(16, image_size=8, random_state=0)
        clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        pickle.dumps(clf)   # saves the Keras model, weight by weight
        print("saved")
    """)
    done = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning:keras.src.backend.tensorflow.core",
         "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "saved"


def test_every_room_that_loads_tensorflow_loads_it_with_the_workers_thread_share():
    """A process worker (``OMP_NUM_THREADS=1``) that imports any of these rooms first
    runs TensorFlow on its share of the cores, not on all of them."""
    code = textwrap.dedent("""
        import importlib, os, sys
        importlib.import_module(sys.argv[1])
        print("tensorflow" in sys.modules, os.environ.get("TF_NUM_INTRAOP_THREADS"))
    """)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    for room in ("toonsklearn.tuning", "toonsklearn.estimators", "toonsklearn.embedding",
                 "toonsklearn.io", "toonsklearn.layers", "toonsklearn.losses"):
        done = subprocess.run([sys.executable, "-c", code, room], capture_output=True,
                              text=True, env={**environ, "OMP_NUM_THREADS": "1"})
        assert done.stdout.split() == ["True", "1"], (room, done.stdout, done.stderr[-2000:])
