"""Searches in worker processes: joblib's process backend (loky) and the dask backend on a
real ``dask.distributed.LocalCluster`` of two worker processes, started and stopped here.
GridSearchCV and OptunaSearchCV (toonsklearn/tuning/_search.py) score as in one process,
TensorFlow in a worker keeps to its share of the cores, and dask workers share the
feature cache."""

import os

import joblib
import numpy as np
import optuna
import pytest
from distributed import Client, LocalCluster
from optuna.distributions import FloatDistribution
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from tests.keras_helpers import TINY, CountingBackbone, images_computed, toons
from tests.worker_env import tensorflow_threads
from toonsklearn import CNNClassifier, TransferClassifier
from toonsklearn.tuning import OptunaSearchCV

# Seeded fits in two processes do the same arithmetic as in one, but with other thread
# counts TensorFlow may sum in another order: the scores agree to rounding, not bit for bit.
ATOL = 1e-4


@pytest.fixture(scope="module")
def dask_client():
    environ = dict(os.environ)  # the nanny sets OMP_NUM_THREADS & co. here, not only there
    try:
        with (LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None) as cluster,
              Client(cluster) as client):
            yield client
    finally:
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture(params=["loky", "dask"])
def backend(request):
    """The name of a joblib backend whose workers are other processes."""
    if request.param == "dask":
        request.getfixturevalue("dask_client")
    return request.param


def tiny_cnn(**params):
    return CNNClassifier(filters=(4,), dense_units=(), **{**TINY, **params})


@pytest.mark.slow
def test_workers_limit_tensorflow_to_their_share_of_the_cores(backend, request):
    if backend == "dask":  # the nanny sets OMP_NUM_THREADS=1 in each worker
        found = list(request.getfixturevalue("dask_client").run(tensorflow_threads).values())
        assert len(found) == 2
        share = "1"
    else:  # loky sets it to cpu_count() // n_jobs
        found = joblib.Parallel(n_jobs=2)(joblib.delayed(tensorflow_threads)()
                                          for _ in range(2))
        share = os.environ.get("OMP_NUM_THREADS", str(max(joblib.cpu_count() // 2, 1)))
    for threads in found:
        assert threads["OMP_NUM_THREADS"] == share
        assert threads["TF_NUM_INTRAOP_THREADS"] == share
        assert threads["TF_NUM_INTEROP_THREADS"] == threads["OMP_NUM_THREADS"]


@pytest.mark.slow
def test_a_grid_search_in_two_processes_scores_as_in_one(backend):
    X, y = toons(n=48, size=16)
    grid = GridSearchCV(tiny_cnn(), {"learning_rate": [0.01, 0.003]}, cv=2,
                        scoring="neg_log_loss", refit=False)  # best_params_ without a refit
    alone = clone(grid).fit(X, y)
    with joblib.parallel_config(backend=backend):
        parallel = clone(grid).set_params(n_jobs=2).fit(X, y)
    for key in ("split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(parallel.cv_results_[key], alone.cv_results_[key],
                                   atol=ATOL)
    assert alone.cv_results_["std_test_score"].max() > 0  # real, differing scores
    assert parallel.best_params_ == alone.best_params_


@pytest.mark.slow
def test_an_optuna_search_in_two_processes_scores_as_in_one(backend):
    X, y = toons(n=48, size=16)
    search = OptunaSearchCV(tiny_cnn(), {"learning_rate": FloatDistribution(1e-3, 1e-1,
                                                                              log=True)},
                            n_trials=2, cv=2, scoring="neg_log_loss",
                            pruner=optuna.pruners.NopPruner(), refit=False, random_state=0)
    alone = clone(search).fit(X, y)
    with joblib.parallel_config(backend=backend):
        parallel = clone(search).set_params(n_jobs=2).fit(X, y)
    assert parallel.cv_results_["params"] == alone.cv_results_["params"]
    np.testing.assert_allclose(parallel.cv_results_["mean_test_score"],
                               alone.cv_results_["mean_test_score"], atol=ATOL)


@pytest.mark.slow
def test_dask_workers_share_the_feature_cache_each_computing_an_image_at_most_once(
        tmp_path, dask_client):
    X, y = toons(n=48, size=16)
    n_fits = 3 * 3  # three candidates, three folds of 16 images

    def search(memory, log):
        clf = TransferClassifier(CountingBackbone(log), preprocessing="scale", memory=memory,
                                 input_size=(16, 16), **TINY)
        with joblib.parallel_config(backend="dask"):
            return GridSearchCV(clf, {"dropout": [0.0, 0.25, 0.5]}, cv=3, n_jobs=2,
                                refit=False).fit(X, y)

    search(None, tmp_path / "uncached.log")
    uncached = images_computed(tmp_path / "uncached.log")
    assert sum(uncached.values()) == n_fits * len(X)  # each fit: its 32 images, then 16
    search(tmp_path / "cache", tmp_path / "cached.log")
    cached = images_computed(tmp_path / "cached.log")
    assert os.getpid() not in cached and 1 <= len(cached) <= 2  # only the dask workers
    assert all(n <= len(X) for n in cached.values()), cached  # an image once per worker
    assert len(X) <= sum(cached.values()) <= 2 * len(X)
