"""A model card: what a fitted classifier is, what it was tested on, how well it did and
what that test cannot tell, in Markdown.

Every figure comes from the counts of one test set, each with a 95 % Wilson score
interval, so that a reader sees how much a small test set leaves open; the "Limits"
section says so in words.
"""

from __future__ import annotations

import inspect
import math
import os
import re
from importlib import metadata

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from .._utils.targets import check_thresholds, indicator_matrix, is_multilabel
from ._calibration import calibration_error

__all__ = ["model_card"]

#: Fewer test images than this make a class's figures too uncertain to rely on.
FEW_IMAGES = 20
#: An interval wider than this either side of its centre is named under "Limits".
WIDE_INTERVAL = 0.10
_Z = 1.959963984540054  # the 97.5th percentile of the standard normal: 95 % intervals
_PACKAGES = ("keras", "tensorflow", "scikit-learn", "numpy")
_MAX_VALUE = 80  # characters of a parameter's value shown in the table
_SHOWN = {"precision": "precision", "recall": "recall", "f1": "F1"}


def model_card(estimator, y_true, proba, *, source: str | os.PathLike | None = None,
               n_bins: int = 15) -> str:
    """A Markdown model card of a fitted classifier, from its predictions on a test set.

    The card has these sections: the model (estimator, pipeline steps, classes, input
    size), the test data (images per class and where they came from), metrics per
    class (precision, recall, F1, support) and overall (accuracy, macro-F1), each
    proportion with a 95 % Wilson score interval computed from the counts and the
    number of images it rests on, calibration (the expected calibration error), the
    decision thresholds, the training settings (the final estimator's parameters,
    those set differently from the default first, and the epochs trained), the library
    versions, and the limits of what the test set can support: classes with fewer than
    20 test images or none, intervals wider than 10 points either side, and that the
    figures hold only for images like the test images. The same inputs always give the
    same text (no date or time is written).

    Parameters
    ----------
    estimator : classifier
        The fitted estimator or Pipeline whose probabilities ``proba`` are; its last
        step's ``classes_`` names the columns.
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        The test images' labels; for a multi-label model an indicator matrix (or a
        DataFrame of one, or label sets).
    proba : array-like of shape (n_samples, n_classes)
        ``estimator.predict_proba`` on the test images, columns in ``classes_`` order.
    source : str or path-like, default=None
        Where the test images came from (a folder, a labels CSV), written in the card;
        None says it was not given.
    n_bins : int, default=15
        Equal-width bins of the calibration error (see
        :func:`~toonsklearn.inspection.calibration_error`).

    Returns
    -------
    card : str
        The card, in Markdown. :func:`toonsklearn.io.save` stores it in the model file
        with ``card=``.

    Raises
    ------
    NotFittedError
        The estimator (its last step) has no ``classes_``.
    ValueError
        ``y_true`` and ``proba`` do not describe the same images, ``proba`` has not
        one column per class, or ``y_true`` holds a class the model does not know.

    See Also
    --------
    calibration_error : The calibration figure of the card.
    toonsklearn.io.describe : Reads a card stored in a model file.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from toonsklearn.inspection import model_card
    >>> X, y = np.arange(40.0).reshape(-1, 1), np.array(["jerry"] * 20 + ["tom"] * 20)
    >>> clf = LogisticRegression().fit(X, y)
    >>> card = model_card(clf, y, clf.predict_proba(X), source="toons/test")
    >>> print(card.splitlines()[0])
    # Model card: LogisticRegression
    >>> print(next(line for line in card.splitlines() if line.startswith("- Accuracy")))
    - Accuracy: 1.000 [0.912, 1.000], 40 of 40 images right.
    """
    pipeline, final = estimator, estimator
    while isinstance(final, Pipeline):
        final = final.steps[-1][1]
    check_is_fitted(final, "classes_")
    classes = np.asarray(final.classes_)
    proba = np.asarray(proba, dtype=np.float64)
    multilabel = is_multilabel(final)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(f"proba must have one column per class of the model "
                         f"({len(classes)}: {_names(classes)}), as predict_proba returns; "
                         f"received shape {proba.shape}.")
    truth, predicted = _truth_and_predicted(final, classes, y_true, proba, multilabel)
    counts = _counts(truth, predicted, len(classes))
    ece = calibration_error(truth if multilabel else classes[truth], proba,
                            labels=None if multilabel else classes, n_bins=n_bins)
    where = "not given" if source is None else _text(os.fspath(source))
    sections = [
        [f"# Model card: {_text(type(final).__name__)}"],
        _model_section(pipeline, final, classes, multilabel),
        _data_section(counts, classes, len(truth), where, multilabel, truth),
        _metrics_section(counts, classes, truth, predicted, multilabel),
        _calibration_section(ece, n_bins, proba.size if multilabel else len(truth),
                             multilabel),
        _threshold_section(final, classes, multilabel),
        _training_section(final),
        _versions_section(),
        _limits_section(counts, classes, truth, predicted, where, multilabel),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


# ------------------------------------------------------------------------------ counts
def _truth_and_predicted(final, classes, y_true, proba, multilabel):
    """(truth, predicted): class indices for one label per image, else 0/1 matrices."""
    if multilabel:
        truth = indicator_matrix(y_true, classes)
        thresholds = final._thresholds() if hasattr(final, "_thresholds") else 0.5
        predicted = (proba >= thresholds).astype(int)
    else:
        labels = np.asarray(y_true)
        if labels.ndim != 1:
            raise ValueError(f"y_true must hold one label per image for this single-label "
                             f"{type(final).__name__}; received shape {labels.shape}.")
        index = {label: i for i, label in enumerate(classes.tolist())}
        unknown = sorted({str(label) for label in labels.tolist() if label not in index})
        if unknown:
            raise ValueError(f"y_true holds {', '.join(unknown[:5])}, which the model does "
                             f"not know; its classes are {_names(classes)}.")
        truth = np.array([index[label] for label in labels.tolist()], dtype=int)
        predicted = proba.argmax(axis=1)
    if len(truth) != len(proba) or len(truth) == 0:
        raise ValueError(f"y_true has {len(truth)} images and proba {len(proba)} rows; give "
                         "the labels and predict_proba of the same test images, at least one.")
    return truth, predicted


def _counts(truth, predicted, n_classes) -> list[dict]:
    """Per class: true positives, false positives, false negatives and support."""
    if truth.ndim == 1:
        truth = np.eye(n_classes, dtype=int)[truth]
        predicted = np.eye(n_classes, dtype=int)[predicted]
    tp = (truth & predicted).sum(axis=0)
    return [{"tp": int(tp[i]), "fp": int(predicted[:, i].sum() - tp[i]),
             "fn": int(truth[:, i].sum() - tp[i]), "support": int(truth[:, i].sum())}
            for i in range(n_classes)]


def wilson(successes: float, n: float) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of ``successes`` out of ``n``; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    scale = 1 + _Z ** 2 / n
    centre = (p + _Z ** 2 / (2 * n)) / scale
    half = _Z / scale * math.sqrt(p * (1 - p) / n + _Z ** 2 / (4 * n ** 2))
    return max(0.0, centre - half), min(1.0, centre + half)


def _metrics(count: dict) -> dict:
    """(successes, n) of precision, recall and F1 from one class's counts."""
    tp, fp, fn = count["tp"], count["fp"], count["fn"]
    dice = tp + (fp + fn) / 2  # F1 = tp / (tp + (fp + fn) / 2)
    return {"precision": (tp, tp + fp), "recall": (tp, tp + fn), "f1": (tp, dice)}


# ------------------------------------------------------------------------------ sections
def _model_section(pipeline, final, classes, multilabel) -> list[str]:
    lines = ["## Model", ""]
    if isinstance(pipeline, Pipeline):
        steps = " -> ".join(f"`{_text(name)}` ({_text(type(step).__name__)})"
                            for name, step in pipeline.steps)
        lines.append(f"- Estimator: a Pipeline of {len(pipeline.steps)} steps: {steps}.")
    else:
        lines.append(f"- Estimator: {_text(type(final).__name__)} "
                     f"({_text(type(final).__module__)}).")
    kind = "labels, any number an image" if multilabel else "classes, one an image"
    lines.append(f"- Task: {'multi-label' if multilabel else 'single-label'} classification, "
                 f"{len(classes)} {kind}.")
    lines.append(f"- {'Labels' if multilabel else 'Classes'}: {_names(classes)}.")
    shape = getattr(final, "image_shape_", None)
    if shape is not None:
        size = " x ".join(str(int(side)) for side in shape)
        seen = " (what its last step receives)" if isinstance(pipeline, Pipeline) else ""
        lines.append(f"- Input size: {size} (height x width x channels){seen}.")
    else:
        lines.append("- Input size: not recorded by this estimator.")
    return lines


def _data_section(counts, classes, n_images, where, multilabel,
                  truth) -> list[str]:
    lines = ["## Test data", "", f"- Source: {where}.", f"- Test images: {n_images}."]
    if multilabel:
        none = int((truth.sum(axis=1) == 0).sum())
        lines.append(f"- Images with no label: {none}.")
    header = "label | images with it" if multilabel else "class | test images"
    lines += ["", f"| {header} | share |",
              "| --- | ---: | ---: |"]
    return lines + [f"| {name} | {count['support']} | {count['support'] / n_images:.1%} |"
                    for name, count in zip(_labels(classes), counts, strict=True)]


def _metrics_section(counts, classes, truth, predicted, multilabel) -> list[str]:
    word = "label" if multilabel else "class"
    table = ["## Metrics", "",
             "95 % Wilson score intervals, computed from the counts; n is the number of "
             f"images each rests on: for precision those predicted as the {word}, for recall "
             f"those of the {word} (its support). F1 is not a proportion of one set of "
             "images: its interval treats it as TP out of TP + (FP + FN) / 2, an "
             "approximation.", "",
             f"| {word} | precision [95 % CI] | n | recall [95 % CI] | n | F1 [95 % CI] | "
             "support |",
             "| --- | --- | ---: | --- | ---: | --- | ---: |"]
    f1s = []
    for name, count in zip(_labels(classes), counts, strict=True):
        cells = []
        for metric, (k, n) in _metrics(count).items():
            cells.append(_estimate(k, n))
            if metric != "f1":
                cells.append(str(int(n)))
        if count["support"] or count["fp"]:  # as scikit-learn: a class present or predicted
            f1s.append(count["tp"] / (count["tp"] + (count["fp"] + count["fn"]) / 2))
        table.append(f"| {name} | {' | '.join(cells)} | {count['support']} |")
    n, right = len(truth), _right(truth, predicted)
    what = "Exact-match accuracy (every label right)" if multilabel else "Accuracy"
    overall = [f"- {what}: {_estimate(right, n)}, {right} of {n} images right."]
    if f1s:
        missing = len(classes) - len(f1s)
        others = (f" ({missing} neither in the test images nor predicted left out)"
                  if missing else "")
        overall.append(f"- Macro-F1: {np.mean(f1s):.3f}, the mean F1 of the {len(f1s)} "
                       f"{_plural(word, len(f1s))} with test images or predicted{others}.")
    else:
        overall.append(f"- Macro-F1: not defined: no {word} has a test image.")
    return table + [""] + overall


def _calibration_section(ece, n_bins, n_predictions, multilabel) -> list[str]:
    what = ("each (image, label) pair a yes/no prediction at 0.5, its confidence the "
            "larger of p and 1 - p" if multilabel
            else "each image's highest probability against whether that class is right")
    lines = ["## Calibration", "",
             f"- Expected calibration error (ECE): {ece:.3f} over {n_predictions} "
             f"predictions, in {n_bins} equal-width bins of confidence ({what}).",
             "- It is the average gap between how sure the model says it is and how often "
             f"it is right: 0 is perfectly calibrated; {ece:.3f} means its probabilities are "
             f"off by about {ece * 100:.0f} points on average, so read them as rankings "
             "rather than frequencies when it is large."]
    if n_predictions < 100:
        lines.append(f"- On {n_predictions} predictions it is noisy and biased upwards: "
                     "more test images would measure it better.")
    return lines


def _threshold_section(final, classes, multilabel) -> list[str]:
    lines = ["## Decision thresholds", ""]
    if not multilabel:
        two = (" With two classes that is a probability above 0.5 (a tie goes to the first "
               "class)." if len(classes) == 2 else "")
        return lines + ["Each image gets the class of highest probability (the argmax of "
                        f"predict_proba).{two}"]
    thresholds = np.broadcast_to(final._thresholds() if hasattr(final, "_thresholds")
                                 else check_thresholds(0.5, classes), (len(classes),))
    lines += ["Each label is predicted when its probability is at or above its threshold:",
              "", "| label | threshold |", "| --- | ---: |"]
    return lines + [f"| {name} | {float(value):.3f} |"
                    for name, value in zip(_labels(classes), thresholds, strict=True)]


def _training_section(final) -> list[str]:
    lines = ["## Training settings", ""]
    try:
        params = final.get_params(deep=False)
    except Exception:  # not a scikit-learn estimator: nothing to list
        params = {}
    defaults = {name: parameter.default for name, parameter in
                inspect.signature(type(final).__init__).parameters.items()}
    changed = [name for name in sorted(params) if not _same(params[name], defaults.get(name))]
    if params:
        lines += [f"Parameters of {_text(type(final).__name__)}, those set differently from "
                  f"the default first ({len(changed)} of {len(params)}):", "",
                  "| parameter | value | default |", "| --- | --- | --- |"]
        for name in changed + [name for name in sorted(params) if name not in changed]:
            default = defaults.get(name, inspect.Parameter.empty)
            shown = ("(none)" if default is inspect.Parameter.empty
                     else "same" if name not in changed else _value(default))
            lines.append(f"| `{_text(name)}` | {_value(params[name])} | {shown} |")
        lines.append("")
    history = getattr(final, "history_", None)
    lines.append(f"- Epochs trained: {len(history)} (rows of history_)." if history is not None
                 else "- Epochs trained: not recorded (no history_).")
    return lines


def _versions_section() -> list[str]:
    rows = [("toonsklearn", __version__)]
    for package in _PACKAGES:
        try:
            rows.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            rows.append((package, "not installed"))
    return ["## Library versions", "", "| package | version |", "| --- | --- |",
            *(f"| {name} | {version} |" for name, version in rows)]


def _limits_section(counts, classes, truth, predicted, where, multilabel) -> list[str]:
    word = "label" if multilabel else "class"
    images = "positive test images" if multilabel else "test images"
    names = _labels(classes)
    lines = ["## Limits", "",
             f"- These figures hold for images like the {len(truth)} test images (from "
             f"{where}): drawn, captured and labelled the same way, with the same balance of "
             f"{_plural(word, 2)}. Other styles, sources, sizes or a changed balance are not "
             "covered."]
    few = [f"{name} ({count['support']})" for name, count in zip(names, counts, strict=True)
           if 0 < count["support"] < FEW_IMAGES]
    if few:
        lines.append(f"- Fewer than {FEW_IMAGES} {images}, so their figures are too "
                     f"uncertain to rely on or to compare models by: {', '.join(few)}.")
    empty = [name for name, count in zip(names, counts, strict=True)
             if not count["support"] and not count["fp"]]
    if empty:
        lines.append(f"- No {images}: {', '.join(empty)}. Nothing here says how the model "
                     "does on them.")
    wrongly = [f"{name} ({count['fp']} times)" for name, count in zip(names, counts, strict=True)
               if not count["support"] and count["fp"]]
    if wrongly:
        lines.append(f"- No {images}, yet predicted, every time wrongly: "
                     f"{', '.join(wrongly)}. How the model does on them is untested.")
    wide = []
    for name, count in zip(names, counts, strict=True):
        named = [_SHOWN[metric] for metric, (k, n) in _metrics(count).items()
                 if _wide(wilson(k, n))]
        if named:
            wide.append(f"{name} ({', '.join(named)})")
    if _wide(wilson(_right(truth, predicted), len(truth))):
        wide.append("accuracy")
    if wide:
        lines.append(f"- 95 % intervals wider than {WIDE_INTERVAL * 100:.0f} points either "
                     f"side: {', '.join(wide)}. A difference smaller than such an interval "
                     "is no evidence that one model is better.")
    if len(lines) == 3:
        lines.append(f"- Every {word} has at least {FEW_IMAGES} {images} and every interval "
                     f"is within {WIDE_INTERVAL * 100:.0f} points either side.")
    return lines


# ------------------------------------------------------------------------------ text
def _estimate(k: float, n: float) -> str:
    interval = wilson(k, n)
    if interval is None:
        return "n/a"
    return f"{k / n:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"


def _wide(interval) -> bool:
    return interval is not None and (interval[1] - interval[0]) / 2 > WIDE_INTERVAL


def _same(value, default) -> bool:
    if value is default:
        return True
    try:
        return bool(type(value) is type(default) and value == default)
    except Exception:  # arrays and objects without a plain equality
        return False


def _value(value) -> str:
    """A parameter's value for the table: its repr without memory addresses, cut short."""
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
    if len(text) > _MAX_VALUE:
        text = text[:_MAX_VALUE - 3] + "..."
    return f"`{_text(text).replace('`', chr(39))}`"


def _text(value) -> str:
    """``value`` on one table-safe line: pipes escaped, no lone surrogates."""
    text = " ".join(str(value).split())
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("|", "\\|")


def _labels(classes) -> list[str]:
    return [_text(name) for name in np.asarray(classes).tolist()]


def _names(classes) -> str:
    return ", ".join(_labels(classes))


def _plural(word: str, n: int) -> str:
    return word if n == 1 else f"{word}es" if word.endswith("s") else f"{word}s"


def _right(truth, predicted) -> int:
    """Images whose prediction is wholly right (every label, for a multi-label model)."""
    same = truth == predicted
    return int((same.all(axis=1) if same.ndim == 2 else same).sum())
