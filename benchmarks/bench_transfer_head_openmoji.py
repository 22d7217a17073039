"""Which head training beats TransferClassifier's defaults on real drawings?

The frozen backbone's features are computed once (``memory=``), so each variant trains
only the head: twelve variants of the default ``TransferClassifier()``, and two
scikit-learn heads on ``ImageEmbedder`` features (``embedder_lr``:
``make_pipeline(ImageEmbedder(memory=memory), LogisticRegression(max_iter=1000))``,
``embedder_knn``: the same with ``KNeighborsClassifier()``), which share the
classifier's cache entries, so their fits read the features back too. Each is fitted
on the same repeated stratified splits of the two OpenMoji tasks of
``bench_defaults_openmoji.py`` (the 9 emoji groups, the 7 illustrators), and compared
with the defaults by the mean of its paired accuracy differences and their standard
error.

Usage: python benchmarks/bench_transfer_head_openmoji.py [--data ../shared/data/openmoji64]
           [--quick] [--variants NAME ...] [--splits 5]

``--quick`` runs the defaults and the two ``ImageEmbedder`` rows only, on the same 5
splits. The data is not part of the package. The full run takes about 6 minutes on 2
cores, ``--quick`` about 1.5.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
from bench_defaults_openmoji import load_tasks
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

COSINE = {"lr_schedule": "cosine"}
VARIANTS = {
    "defaults": {},
    "smoothing": {"label_smoothing": 0.1},
    "cosine": COSINE,
    "cosine_smoothing": {**COSINE, "label_smoothing": 0.1},
    "cosine_smoothing_60": {**COSINE, "label_smoothing": 0.1, "epochs": 60},
    "adamw": {"optimizer": "adamw"},
    "adamw_cosine": {**COSINE, "optimizer": "adamw"},
    "rate_3e-4_60": {"learning_rate": 3e-4, "epochs": 60},
    "dropout_0.5": {"dropout": 0.5},
    "no_validation": {"validation_fraction": 0.0},
    "no_validation_cosine": {**COSINE, "validation_fraction": 0.0},
    "no_validation_cosine_smoothing": {**COSINE, "validation_fraction": 0.0,
                                       "label_smoothing": 0.1},
    "no_validation_cosine_dropout_0.5": {**COSINE, "validation_fraction": 0.0,
                                         "dropout": 0.5},
}
#: scikit-learn heads on ImageEmbedder features: (memory) -> an unfitted estimator.
PIPELINES = {
    "embedder_lr": lambda memory: make_pipeline(_embedder(memory),
                                                LogisticRegression(max_iter=1000)),
    "embedder_knn": lambda memory: make_pipeline(_embedder(memory), KNeighborsClassifier()),
}
QUICK = ("defaults", *PIPELINES)


def _embedder(memory):
    from toonsklearn.embedding import ImageEmbedder

    return ImageEmbedder(memory=memory)


def cache_entries(memory: str) -> int:
    """How many images' features the cache in ``memory`` holds, all extractors together."""
    return sum(name.endswith(".npy") for _, _, names in os.walk(memory) for name in names)


def make_model(name: str, memory, seed: int):
    """The estimator of row ``name``, caching its features in ``memory``."""
    if name in PIPELINES:
        return PIPELINES[name](memory)
    from toonsklearn import TransferClassifier

    return TransferClassifier(memory=memory, random_state=seed, **VARIANTS[name])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/openmoji64")
    parser.add_argument("--quick", action="store_true",
                        help=f"only the rows {', '.join(QUICK)}")
    parser.add_argument("--variants", nargs="+", default=None,
                        choices=[*VARIANTS, *PIPELINES])
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args(argv)
    import keras

    variants = args.variants or (QUICK if args.quick else [*VARIANTS, *PIPELINES])
    names = ["defaults"] + [n for n in variants if n != "defaults"]
    print(f"mode: {'quick' if args.quick else 'full'}; {args.splits} splits; rows: "
          f"{', '.join(names)}", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as memory:
        for task in load_tasks(args.data):
            splitter = StratifiedShuffleSplit(args.splits, test_size=0.25, random_state=0)
            splits = list(splitter.split(task.y, task.y))
            print(f"\n## {task.name}: {len(task.y)} drawings\n"
                  f"{'variant':34} {'accuracy':>8} {'fit s':>6} {'computed':>8}"
                  "   vs defaults, points ± SE")
            scores = {}
            for name in names:
                accuracy, seconds = [], []
                entries = cache_entries(memory)
                for seed, (train, test) in enumerate(splits):
                    model = make_model(name, memory, seed)
                    begin = time.perf_counter()
                    model.fit(task.paths[train], task.y[train])
                    seconds.append(time.perf_counter() - begin)
                    accuracy.append(accuracy_score(task.y[test],
                                                   model.predict(task.paths[test])))
                    keras.backend.clear_session()
                scores[name] = np.array(accuracy)
                diff = 100 * (scores[name] - scores["defaults"])
                versus = "" if name == "defaults" else \
                    f"   {diff.mean():+.1f} ± {diff.std(ddof=1) / np.sqrt(len(diff)):.1f}"
                computed = cache_entries(memory) - entries
                print(f"{name:34} {scores[name].mean():8.3f} {np.mean(seconds):6.1f}"
                      f" {computed:8}{versus}", flush=True)
    print(f"\nwhole run {time.perf_counter() - start:.0f}s; computed: images whose features "
          "the row's fits and predictions added to the cache (0: all read back)")


if __name__ == "__main__":
    main()
