"""Which head training beats TransferClassifier's defaults on real drawings?

The frozen backbone's features are computed once (``memory=``), so each variant trains
only the head: twelve variants of the default ``TransferClassifier()``, each on the same
repeated stratified splits of the two OpenMoji tasks of ``bench_defaults_openmoji.py``
(the 9 emoji groups, the 7 illustrators), each compared with the defaults by the mean
of its paired accuracy differences and their standard error.

Usage: python benchmarks/bench_transfer_head_openmoji.py [--data ../shared/data/openmoji64]
           [--variants NAME ...] [--splits 5]

The data is not part of the package. The run takes about ten minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
from bench_defaults_openmoji import load_tasks
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedShuffleSplit

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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/openmoji64")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS),
                        choices=list(VARIANTS))
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args(argv)
    import keras

    from toonsklearn import TransferClassifier

    names = ["defaults"] + [n for n in args.variants if n != "defaults"]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as memory:
        for task in load_tasks(args.data):
            splitter = StratifiedShuffleSplit(args.splits, test_size=0.25, random_state=0)
            splits = list(splitter.split(task.y, task.y))
            print(f"\n## {task.name}: {len(task.y)} drawings\n"
                  f"{'variant':34} {'accuracy':>8} {'fit s':>6}   vs defaults, points ± SE")
            scores = {}
            for name in names:
                accuracy, seconds = [], []
                for seed, (train, test) in enumerate(splits):
                    model = TransferClassifier(memory=memory, random_state=seed,
                                               **VARIANTS[name])
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
                print(f"{name:34} {scores[name].mean():8.3f} {np.mean(seconds):6.0f}{versus}",
                      flush=True)
    print(f"\nwhole run {time.perf_counter() - start:.0f}s (the first fit of each task "
          "computes the features)")


if __name__ == "__main__":
    main()
