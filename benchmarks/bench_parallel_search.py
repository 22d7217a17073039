"""What worker processes buy a search on one machine: the same GridSearchCV of a
CNNClassifier with ``n_jobs=1`` (one process, TensorFlow on every core) against
``n_jobs=2`` under joblib's process backend (loky) and under the dask backend on a
``LocalCluster`` of two single-threaded worker processes, all in one run.

Each worker's TensorFlow takes its share of the cores from ``OMP_NUM_THREADS``, which
loky and dask set. The parallel wall times include starting the workers and importing
TensorFlow in them. Prints the three wall times, each parallel one as a fraction of
``n_jobs=1`` (goal <= 0.6 on 2 cores) and the largest difference in mean test accuracy.
The fits are seeded, but TensorFlow on one thread sums in another order than on two:
the difference starts as rounding and, over eight epochs, can move a few test images.

Usage: python benchmarks/bench_parallel_search.py [--quick] [N_IMAGES]   (default 1200)

``--quick`` searches on 600 images instead of 1,200: the fixed cost of starting the
workers weighs more, so the parallel fractions come out higher. On 2 cores it takes
about 2.5 minutes, the full run about 4.5.
"""

import argparse
import os
import time

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from toonsklearn import CNNClassifier
from toonsklearn.datasets import make_toons

#: 6 candidates x 3 folds = 18 fits.
GRID = {"learning_rate": [3e-3, 1e-3], "dropout": [0.0, 0.2, 0.4]}


def timed(search, X, y):
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search


def main() -> None:
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_images", metavar="N_IMAGES", type=int, nargs="?", default=None,
                        help="images (default 1,200, 600 with --quick)")
    parser.add_argument("--quick", action="store_true", help="600 images")
    args = parser.parse_args()
    n_images = args.n_images or (600 if args.quick else 1200)
    print(f"mode: {'quick' if args.quick else 'full'}", flush=True)
    X, y = make_toons(n_images, task="multiclass", image_size=32, random_state=0)
    estimator = CNNClassifier(filters=(8, 16), epochs=8, batch_size=32, early_stopping=None,
                              random_state=0)
    search = GridSearchCV(estimator, GRID, cv=3, refit=False)
    clone(estimator).set_params(epochs=1).fit(X[:64], y[:64])  # warm this process up

    serial_s, serial = timed(clone(search), X, y)
    with joblib.parallel_config(backend="loky"):
        loky_s, loky = timed(clone(search).set_params(n_jobs=2), X, y)
    start = time.perf_counter()
    with (LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
          Client(cluster), joblib.parallel_config(backend="dask")):
        dask_s, dask = timed(clone(search).set_params(n_jobs=2), X, y)
    dask_total = time.perf_counter() - start

    print(f"{n_images} images 32x32, 7 classes; GridSearchCV of {len(serial.cv_results_['params'])}"
          f" candidates x 3 folds; {os.cpu_count()} cores")
    print(f"n_jobs=1 (one process):        {serial_s:6.1f} s")
    print(f"n_jobs=2, loky processes:      {loky_s:6.1f} s   {loky_s / serial_s:.2f} of n_jobs=1"
          " (goal <= 0.6)")
    print(f"n_jobs=2, dask LocalCluster:   {dask_s:6.1f} s   {dask_s / serial_s:.2f} of n_jobs=1"
          f" ({dask_total:.1f} s with starting and stopping the cluster)")
    scores = serial.cv_results_["mean_test_score"]
    for name, other in (("loky", loky), ("dask", dask)):
        gap = np.abs(other.cv_results_["mean_test_score"] - scores).max()
        print(f"largest mean test accuracy difference, {name} vs n_jobs=1: {gap:.4f}")


if __name__ == "__main__":
    main()
