"""Import TensorFlow without the start-up lines it writes to standard error.

TensorFlow's C++ side logs INFO lines as it loads (oneDNN is on, no CUDA driver, which
CPU instructions it could use, absl's "before InitializeLog" banner), in every process
and every joblib worker. ``TF_CPP_MIN_LOG_LEVEL=2`` hides them up to TensorFlow 2.18;
from 2.19 the lines written before absl's logging starts ignore it (TensorFlow issue
100442). Unless the user set ``TF_CPP_MIN_LOG_LEVEL``, importing this module sets it to 2
and holds standard error back while TensorFlow imports and looks for devices, then
writes back every line that is not one of those start-up lines (nor the "failed call to
cuInit" that every machine without a GPU logs): other warnings and errors still show.
A process that TensorFlow kills while it imports (an abort) loses what was held back:
set ``TF_CPP_MIN_LOG_LEVEL=0`` to see everything, unfiltered.

TensorFlow sizes its thread pools to the whole machine and ignores ``OMP_NUM_THREADS``,
the variable that joblib's process workers (the machine's cores shared among the jobs)
and dask's worker processes (one) set so that the workers share the cores. Before
TensorFlow loads, this module takes ``OMP_NUM_THREADS`` as ``TF_NUM_INTRAOP_THREADS``
and ``TF_NUM_INTEROP_THREADS``, where those are not set: set them yourself to choose
otherwise.

One warning of Keras' is hidden, exactly that one: NumPy 2's ``DeprecationWarning``
about ``__array__``'s ``copy`` keyword, which Keras' saving raises once per weight.

TensorFlow also warns that ``tf.function`` retraced "5 out of the last 7 calls", advice
for a loop that rebuilds functions; here each fit and search trial builds a new model by
design, so that warning alone is dropped from the ``tensorflow`` logger.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import warnings

_START_UP = re.compile(
    rb"^(I\d{4} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:[\d.]+: I |WARNING: All log messages "
    rb"before absl::InitializeLog\(\)|To enable the following instructions:"
    rb"|.*failed call to cuInit)"  # no GPU: an "error" on every CPU-only machine
)


def _threads_as_openmp() -> None:
    threads = os.environ.get("OMP_NUM_THREADS", "").strip()
    if "tensorflow" in sys.modules or not threads.isdigit() or int(threads) < 1:
        return
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(name, str(int(threads)))


def _import_quietly() -> None:
    if "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 to hold back
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow

            tensorflow.config.list_physical_devices("GPU")  # device start-up logs now too
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = b"".join(line for line in held if not _START_UP.match(line))
            if kept:
                os.write(2, kept)


class _NoRetracingAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


_threads_as_openmp()
_import_quietly()
logging.getLogger("tensorflow").addFilter(_NoRetracingAdvice())

# Keras saves each weight through ``np.array(variable)``, and a TensorFlow variable's
# ``__array__`` takes no ``copy`` keyword: NumPy 2 warns once per weight on every save,
# checkpoint and pickle (keras-team/keras#21288). Only that message from that Keras
# module is hidden; the weights are saved right.
warnings.filterwarnings(
    "ignore", message=r"__array__ implementation doesn't accept a copy keyword",
    category=DeprecationWarning, module=r"keras\.src\.backend\.tensorflow\.core")
