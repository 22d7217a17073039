"""Run in a worker process: what TensorFlow reads there. Imports nothing that loads
TensorFlow before the library does, as a worker unpickling an estimator would."""

import os


def tensorflow_threads() -> dict:
    """The thread settings TensorFlow reads in this process, once toonsklearn loaded it."""
    import toonsklearn.estimators  # noqa: F401 (loads TensorFlow the library's way)

    return {name: os.environ.get(name) for name in
            ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
