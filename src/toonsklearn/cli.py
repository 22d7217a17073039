"""Command line: ``toonsklearn demo``."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, classification_report
    from sklearn.pipeline import make_pipeline

    from . import ImageFolderLoader, ImageTransformer, load_image_folder
    from .datasets import make_toons

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    size = (args.image_size, args.image_size)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"Drawing {args.n_samples} tom-vs-jerry toons ({args.image_size}px) ...", flush=True)
        root = make_toons(args.n_samples, image_size=args.image_size,
                          random_state=args.random_state, directory=tmp)
        train = load_image_folder(root, subset="train")
        test = load_image_folder(root, subset="test")
        print(f"Training on {len(train.paths)} images, testing on {len(test.paths)}.", flush=True)

        baseline = make_pipeline(
            ImageFolderLoader(size=(32, 32)),
            ImageTransformer(normalize="scale", flatten=True),
            LogisticRegression(C=0.01, max_iter=2000),
        ).fit(train.paths, train.target)
        baseline_accuracy = accuracy_score(test.target, baseline.predict(test.paths))
        print(f"Baseline: pixel LogisticRegression, test accuracy {baseline_accuracy:.3f}\n",
              flush=True)

        from .estimators import CNNClassifier

        cnn_params = {"random_state": args.random_state, "verbose": 2}
        if args.epochs is not None:
            cnn_params["epochs"] = args.epochs
        print("Training CNNClassifier (one line per epoch; early stopping on validation loss)",
              flush=True)
        pipe = make_pipeline(ImageFolderLoader(size=size), CNNClassifier(**cnn_params))
        pipe.fit(train.paths, train.target)
        predicted = pipe.predict(test.paths)

    cnn_accuracy = accuracy_score(test.target, predicted)
    print(f"\nCNNClassifier, test accuracy {cnn_accuracy:.3f} "
          f"(pixel LogisticRegression: {baseline_accuracy:.3f})")
    print(classification_report(test.target, predicted, target_names=train.target_names))
    saved = output / "toons_pipeline.joblib"
    joblib.dump(pipe, saved)
    print(f"Saved the fitted pipeline to {saved} ({time.perf_counter() - start:.0f}s in all).")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toonsklearn`` command."""
    parser = argparse.ArgumentParser(prog="toonsklearn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train and evaluate on generated cartoon data")
    demo.add_argument("--n-samples", type=int, default=2000, help="images to draw (default 2000)")
    demo.add_argument("--image-size", type=int, default=64, help="side in pixels (default 64)")
    demo.add_argument("--epochs", type=int, default=None,
                      help="most CNN epochs (default: CNNClassifier's, with early stopping)")
    demo.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    demo.add_argument("--output", default="toonsklearn-demo",
                      help="folder for the saved pipeline (default ./toonsklearn-demo)")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
