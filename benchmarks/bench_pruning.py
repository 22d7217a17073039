"""What pruning saves: one OptunaSearchCV run with Optuna's MedianPruner against the same
search with pruning off, in one process, on the same data and the same trials.

A RandomSampler with a fixed seed proposes the same candidates whatever the trials
report, so both searches evaluate the same trials; the pruned one stops the unpromising
ones after a few epochs of their first folds. Prints both wall times, their ratio (goal
<= 0.5) and both best scores (goal: equal).

Usage: python benchmarks/bench_pruning.py [--quick] [N_IMAGES] [N_TRIALS]
       (default 600 and 16)

``--quick`` runs 10 trials on 300 images: the first 4 are never pruned (the pruner's
startup trials), so the ratio comes out higher than with 16. On 2 cores it takes
about 1.5 minutes, the full run about 5.
"""

import argparse
import time

import optuna
from optuna.distributions import FloatDistribution

from toonsklearn import CNNClassifier
from toonsklearn.datasets import make_toons
from toonsklearn.tuning import OptunaSearchCV


def run(X, y, n_trials: int, pruner) -> tuple[float, OptunaSearchCV]:
    estimator = CNNClassifier(filters=(16, 32), convs_per_block=1, epochs=12, batch_size=32,
                              validation_fraction=0.2, early_stopping=None, random_state=0)
    search = OptunaSearchCV(
        estimator,
        {"learning_rate": FloatDistribution(1e-4, 3.0, log=True),
         "dropout": FloatDistribution(0.0, 0.6)},
        n_trials=n_trials, cv=3, sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=pruner, refit=False,
    )
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_images", metavar="N_IMAGES", type=int, nargs="?", default=None,
                        help="images (default 600, 300 with --quick)")
    parser.add_argument("n_trials", metavar="N_TRIALS", type=int, nargs="?", default=None,
                        help="trials of each search (default 16, 10 with --quick)")
    parser.add_argument("--quick", action="store_true", help="300 images, 10 trials")
    args = parser.parse_args()
    n_images = args.n_images or (300 if args.quick else 600)
    n_trials = args.n_trials or (10 if args.quick else 16)
    print(f"mode: {'quick' if args.quick else 'full'}", flush=True)
    X, y = make_toons(n_images, image_size=32, random_state=0)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1)
    unpruned_s, unpruned = run(X, y, n_trials, optuna.pruners.NopPruner())
    pruned_s, pruned = run(X, y, n_trials, pruner)
    states = list(pruned.cv_results_["trial_state"])
    same = [a == b for a, b in zip(unpruned.cv_results_["params"],
                                   pruned.cv_results_["params"], strict=True)]
    print(f"{n_images} images of 32x32, {n_trials} trials x 3 folds x 12 epochs; "
          "MedianPruner(n_startup_trials=4, n_warmup_steps=1)")
    print(f"same candidates in both searches: {all(same)}")
    print(f"unpruned: {unpruned_s:7.1f} s  best score {unpruned.best_score_:.4f} "
          f"(trial {unpruned.best_index_})")
    print(f"pruned:   {pruned_s:7.1f} s  best score {pruned.best_score_:.4f} "
          f"(trial {pruned.best_index_}); {states.count('PRUNED')} of {n_trials} pruned")
    print(f"time ratio pruned/unpruned: {pruned_s / unpruned_s:.2f} (goal <= 0.5)")


if __name__ == "__main__":
    main()
