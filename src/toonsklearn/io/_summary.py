"""What a saved file says of its model without building it: the manifest's summary and
the model card.

:func:`summary` describes the object as ``save`` writes it (estimator, Pipeline steps,
classes, input size); :func:`summary_problem` checks one read from a file, which may
have been altered, before anyone shows it. The card is a Markdown member of its own,
``model_card.md``, checked like every member.
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from .._utils.targets import is_multilabel
from ..exceptions import NotSavableError

__all__ = ["CARD", "card_bytes_of", "read_card", "summary", "summary_problem"]

#: The archive member that holds a model card (Markdown, UTF-8).
CARD = "model_card.md"
#: At most this many class names are stored, each cut to _MAX_NAME characters, so that
#: the manifest stays far below the size a reader accepts.
_MAX_CLASSES, _MAX_NAME = 1000, 200
_SCALARS = (str, int, float, bool)


def summary(obj) -> dict:
    """The manifest's ``summary`` of ``obj``: plain JSON values only."""
    steps = None
    if isinstance(obj, Pipeline):
        steps = [[str(name), type(step).__name__] for name, step in obj.steps]
    final = obj
    while isinstance(final, Pipeline):
        final = final.steps[-1][1]
    classes = getattr(final, "classes_", None)
    names = None if classes is None else [_scalar(name) for name in list(classes)]
    shape = getattr(final, "image_shape_", None)
    history = getattr(final, "history_", None)
    return {
        "estimator": type(final).__name__,
        "estimator_type": f"{type(final).__module__}.{type(final).__qualname__}",
        "steps": steps,
        "n_classes": None if names is None else len(names),
        "classes": None if names is None else names[:_MAX_CLASSES],
        "multilabel": names is not None and is_multilabel(final),
        "input_size": None if shape is None else [int(side) for side in shape],
        "epochs_trained": len(history) if hasattr(history, "__len__") else None,
    }


def _scalar(value):
    """A class name as a JSON scalar: numbers and strings as they are, else its str (the
    classes of each output of a multi-output model, say)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) or not isinstance(value, _SCALARS):
        return str(value)[:_MAX_NAME]
    return value


def summary_problem(value) -> str | None:
    """What makes a manifest's ``summary`` unusable, or None."""
    if not isinstance(value, dict):
        return "summary is not a JSON object"
    expected = {"estimator": str, "estimator_type": str, "multilabel": bool}
    for key, kind in expected.items():
        if not isinstance(value.get(key), kind):
            return f"summary's {key} is not a {kind.__name__}"
    steps, classes = value.get("steps"), value.get("classes")
    if steps is not None and not (isinstance(steps, list) and all(
            isinstance(step, list) and len(step) == 2
            and all(isinstance(part, str) for part in step) for step in steps)):
        return "summary's steps are not [name, class] pairs"
    if classes is not None and not (isinstance(classes, list)
                                    and all(isinstance(name, _SCALARS) for name in classes)):
        return "summary's classes are not a list of names"
    for key in ("n_classes", "epochs_trained"):
        if value.get(key) is not None and not _count(value[key]):
            return f"summary's {key} is not a count"
    size = value.get("input_size")
    if size is not None and not (isinstance(size, list) and all(map(_count, size))):
        return "summary's input_size is not a list of counts"
    return None


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def card_bytes_of(card) -> bytes | None:
    """A model card as the member's bytes (UTF-8), or None for no card."""
    if card is None:
        return None
    if not isinstance(card, str):
        raise NotSavableError(f"card must be a str of Markdown, as "
                              f"toonsklearn.inspection.model_card returns; received a "
                              f"{type(card).__name__}.")
    try:
        return card.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotSavableError(f"card holds {card[exc.start:exc.end]!r} at character "
                              f"{exc.start}, which UTF-8 cannot encode (a file name read "
                              "as undecodable bytes?); replace it before saving.") from None


def read_card(archive) -> str | None:
    """The model card of an open ``Archive``, checked against its manifest, or None."""
    if CARD not in archive.manifest["members"]:
        return None
    try:
        return archive.member(CARD).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise archive.error(f"its {CARD} is not UTF-8 text ({exc.reason} at byte "
                            f"{exc.start}), which save never writes; the file was "
                            "altered.") from None
