"""``toonsklearn demo``: the main job on built-in data, start to finish."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ._data import CommandError


def _first_per_class(target: np.ndarray, n: int) -> np.ndarray:
    """Indices of the first ``n`` samples of every class."""
    return np.concatenate([np.flatnonzero(target == c)[:n] for c in np.unique(target)])


def _check_output(output: Path) -> None:
    """Refuse an ``--output`` folder that cannot be created or written, creating nothing."""
    existing = output
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"Cannot use --output {str(output)!r}: {str(existing)!r} is not a "
                           "folder. Name a folder (it is created if missing).",
                           path=str(existing))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandError(f"Cannot use --output {str(output)!r}: the folder "
                           f"{str(existing)!r} is not writable. Choose another.",
                           path=str(existing))


def demo(args: argparse.Namespace) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import classification_report
    from sklearn.pipeline import make_pipeline

    from .. import ImageFolderLoader, ImageTransformer, io, load_image_folder
    from ..datasets import make_toons

    output = Path(args.output)
    _check_output(output)  # created only once there is something to save in it
    start = time.perf_counter()
    size = (args.image_size, args.image_size)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"Drawing {args.n_samples} tom-vs-jerry toons ({args.image_size}px) ...", flush=True)
        root = make_toons(args.n_samples, image_size=args.image_size,
                          random_state=args.random_state, directory=tmp)
        train = load_image_folder(root, subset="train")
        test = load_image_folder(root, subset="test")
        print(f"Training on {len(train.paths)} images, testing on {len(test.paths)}.", flush=True)

        def score(name, pipe, rows=slice(None)):
            n_fit = len(train.paths[rows])
            print(f"{name}: fitting on {n_fit} images ...", flush=True)
            pipe.fit(train.paths[rows], train.target[rows])
            print(f"{name}: scoring {len(test.paths)} test images ...", flush=True)
            accuracy = pipe.score(test.paths, test.target)
            print(f"{name:58s} test accuracy {accuracy:.3f}", flush=True)
            return pipe

        score("Baseline: pixel LogisticRegression", make_pipeline(
            ImageFolderLoader(size=(32, 32)), ImageTransformer(normalize="scale", flatten=True),
            LogisticRegression(C=0.01, max_iter=2000)))

        from ..estimators import CNNClassifier, TransferClassifier

        params = {"random_state": args.random_state}
        if args.epochs is not None:
            params["epochs"] = args.epochs

        def cnn(verbose=0):
            return make_pipeline(ImageFolderLoader(size=size), CNNClassifier(**params,
                                                                             verbose=verbose))

        def transfer():
            return make_pipeline(ImageFolderLoader(size=size), TransferClassifier(**params))

        split = math.ceil(len(train.paths) * CNNClassifier().validation_fraction)
        print("\nCNNClassifier from scratch, one line per epoch: its val_loss and val_accuracy "
              f"are on the early-stopping split, {split} of the {len(train.paths)} training "
              "images held out inside the fit (not the test images).", flush=True)
        main_pipe = score("CNNClassifier, all training images", cnn(verbose=2))
        predicted = main_pipe.predict(test.paths)
        print("TransferClassifier: frozen efficientnet_lite0 (ImageNet weights from pip): "
              f"computing backbone features of {len(train.paths)} images once, then "
              "training the head ...", flush=True)
        transfer_pipe = score("TransferClassifier, all training images", transfer())

        few = _first_per_class(train.target, 40)
        per_class = len(few) // len(train.target_names)
        print(f"\nWith only {per_class} training images per class:", flush=True)
        score(f"CNNClassifier, {per_class} per class", cnn(), few)
        score(f"TransferClassifier, {per_class} per class", transfer(), few)

    print("\nCNNClassifier on all training images:")
    print(classification_report(test.target, predicted, target_names=train.target_names,
                                zero_division=0))
    output.mkdir(parents=True, exist_ok=True)
    saved = output / "toons_pipeline.toonsklearn"
    saved_transfer = output / "toons_transfer.toonsklearn"
    io.save(main_pipe, saved)
    io.save(transfer_pipe, saved_transfer)
    print(f"Saved the fitted pipelines to {saved} and {saved_transfer} "
          f"({time.perf_counter() - start:.0f}s in all): safe files, which "
          f"toonsklearn.io.load('{saved}') reads without running code from them.")
    return 0
