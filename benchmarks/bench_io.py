"""Safe files against joblib: time to save and load, and size, of fitted models.

For a CNNClassifier and a TransferClassifier (EfficientNet-Lite0, ImageNet weights, 224
pixels), trained on make_toons images, each file is written and read ``--repeat`` times
with ``toonsklearn.io`` and with ``joblib.dump``/``joblib.load`` (which pickles, through
scikeras, each Keras model as a ``.keras`` archive too); the median times and the ratios
are printed. Loads run in this process, after one warm-up load of each file.

    python benchmarks/bench_io.py [--quick] [--repeat 5]

``--quick`` fits on 96 images instead of 200 (the files are the same size) and takes
the median of 2 saves and loads instead of 5: about 20 seconds on 2 cores, the
full run about 40.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import joblib
import numpy as np

from toonsklearn import CNNClassifier, TransferClassifier
from toonsklearn.datasets import make_toons
from toonsklearn.io import load, save


def timed(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="96 training images, 2 repeats")
    parser.add_argument("--repeat", type=int, default=None,
                        help="saves and loads a median is taken over (default 5, 2 with --quick)")
    args = parser.parse_args()
    repeat = args.repeat or (2 if args.quick else 5)
    n = 96 if args.quick else 200
    print(f"mode: {'quick' if args.quick else 'full'}; {n} make_toons images, median of "
          f"{repeat}", flush=True)
    X, y = make_toons(n, task="multiclass", image_size=64, random_state=0)
    models = {
        "CNNClassifier (64 px)": CNNClassifier(epochs=2, random_state=0).fit(X, y),
        "TransferClassifier (lite0, 224 px)": TransferClassifier(epochs=2,
                                                                 random_state=0).fit(X, y),
    }
    print(f"{'model':36s} {'format':10s} {'size MB':>8s} {'save s':>8s} {'load s':>8s}")
    with tempfile.TemporaryDirectory() as folder:
        for name, model in models.items():
            expected = model.predict_proba(X[:16])
            rows = {}
            for kind, dump, read in (("safe", save, load),
                                     ("joblib", lambda m, p: joblib.dump(m, p), joblib.load)):
                path = os.path.join(folder, f"model.{kind}")
                save_s = timed(lambda dump=dump, path=path, model=model: dump(model, path),
                               repeat)
                read(path)  # warm-up: the first load builds Keras' functions
                load_s = timed(lambda read=read, path=path: read(path), repeat)
                again = read(path)
                assert np.allclose(again.predict_proba(X[:16]), expected, atol=1e-6)
                size = os.path.getsize(path) / 1e6
                rows[kind] = (size, save_s, load_s)
                print(f"{name:36s} {kind:10s} {size:8.2f} {save_s:8.3f} {load_s:8.3f}")
            (size, save_s, load_s), (jsize, jsave, jload) = rows["safe"], rows["joblib"]
            print(f"{'':36s} {'safe/joblib':10s} {size / jsize:8.2f} {save_s / jsave:8.2f} "
                  f"{load_s / jload:8.2f}")


if __name__ == "__main__":
    main()
