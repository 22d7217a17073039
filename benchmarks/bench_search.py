"""What the frozen-backbone feature cache saves: one GridSearchCV over head parameters of a
TransferClassifier without ``memory=`` against the same search with it, in one process,
on the same images.

Without the cache, each of the 6 candidates x 3 folds runs the backbone over its training
images (fit) and its test images (score), and the refit over all of them: about 19 passes
over the data. With it, the backbone sees each image once; the rest reads the features.
Prints both wall times, their ratio (goal >= 10; the ceiling is about 19) and each
candidate's mean test accuracy in both searches (goal: equal within 0.01, as batches of
other sizes round the features differently).

Usage: python benchmarks/bench_search.py [--quick] [N_IMAGES] [BACKBONE] [WEIGHTS]
       (default 2000 images and efficientnet_lite0 with its ImageNet weights, which ship
       with pip; WEIGHTS "none" gives random weights, for backbones that would download)

``--quick`` searches on 300 images instead of 2,000: the heads' training weighs more
beside the backbone, so the ratio comes out lower. On 2 cores it takes about 2.5
minutes, the full run about 15.
"""

import argparse
import tempfile
import time

import numpy as np
from sklearn.model_selection import GridSearchCV

from toonsklearn import TransferClassifier
from toonsklearn.backbones import get_backbone_spec
from toonsklearn.datasets import make_toons

#: 6 candidates over the head: dropout, dense units and learning rate.
GRID = [
    {"dropout": [0.2, 0.5], "dense_units": [None, 64], "learning_rate": [1e-3]},
    {"dropout": [0.2], "dense_units": [None, 64], "learning_rate": [3e-3]},
]


def search(X, y, backbone: str, weights, memory) -> tuple[float, GridSearchCV]:
    estimator = TransferClassifier(backbone, weights=weights, memory=memory, epochs=20,
                                   batch_size=32, early_stopping=5, random_state=0)
    grid = GridSearchCV(estimator, GRID, cv=3)
    start = time.perf_counter()
    grid.fit(X, y)
    return time.perf_counter() - start, grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_images", metavar="N_IMAGES", type=int, nargs="?", default=None,
                        help="images (default 2,000, 300 with --quick)")
    parser.add_argument("backbone", metavar="BACKBONE", nargs="?", default="efficientnet_lite0")
    parser.add_argument("weights", metavar="WEIGHTS", nargs="?", default="imagenet",
                        help='"none" for random weights')
    parser.add_argument("--quick", action="store_true", help="300 images")
    args = parser.parse_args()
    n_images = args.n_images or (300 if args.quick else 2000)
    backbone = args.backbone
    weights = None if args.weights == "none" else args.weights
    print(f"mode: {'quick' if args.quick else 'full'}", flush=True)
    size = get_backbone_spec(backbone).input_size
    X, y = make_toons(n_images, task="multiclass", image_size=size[0], random_state=0)
    # Warm TensorFlow up (first graph, thread pools) so that neither search pays for it.
    TransferClassifier(backbone, weights=weights, epochs=1, random_state=0).fit(X[:64], y[:64])
    plain_s, plain = search(X, y, backbone, weights, None)
    with tempfile.TemporaryDirectory() as folder:
        cached_s, cached = search(X, y, backbone, weights, folder)
    plain_scores = plain.cv_results_["mean_test_score"]
    cached_scores = cached.cv_results_["mean_test_score"]
    gap = np.abs(plain_scores - cached_scores).max()
    print(f"{n_images} images of {size[0]}x{size[1]}, {backbone} (weights={weights}); "
          "GridSearchCV: "
          f"{len(plain_scores)} candidates x 3 folds + refit")
    print(f"without memory: {plain_s:7.1f} s  best {plain.best_params_}")
    print(f"with memory:    {cached_s:7.1f} s  best {cached.best_params_}")
    print(f"time ratio without/with: {plain_s / cached_s:.1f}x (goal >= 10x, ceiling ~19x)")
    for params, a, b in zip(plain.cv_results_["params"], plain_scores, cached_scores,
                            strict=True):
        print(f"  {params}: mean test accuracy {a:.4f} without, {b:.4f} with")
    print(f"largest score difference: {gap:.4f} (tolerance 0.01)")


if __name__ == "__main__":
    main()
