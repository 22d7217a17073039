"""Where the commands' images, labels and models come from, checked for the user."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..exceptions import ToonsklearnError


class CommandError(ToonsklearnError, ValueError):
    """A problem with what the command line asked for, told to the user in one line.

    An error about the user's files and folders, so one of the library's errors
    (``path`` names the file or folder at fault, where there is one).
    """


def check_data_dir(data_dir: str, labels_csv: str | None = None) -> None:
    """Refuse a DATA_DIR (or a --labels-csv) that is not there, before any slow import."""
    if labels_csv is not None:
        if not os.path.isfile(labels_csv):
            what = "is not a file" if os.path.exists(labels_csv) else "does not exist"
            raise CommandError(f"--labels-csv {labels_csv!r} {what}. Pass a CSV of "
                               "filename,<label>,<label>... rows.", path=labels_csv)
        return
    root = Path(data_dir)
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise CommandError(f"DATA_DIR {data_dir!r} {what}. Pass a folder with one sub-folder "
                           "of images per class.", path=data_dir)


def labelled_images(data_dir: str, labels_csv: str | None, split: str):
    """(paths, labels, names, multilabel, description) of the images to use.

    With ``labels_csv``: its rows, file names relative to ``data_dir``. Otherwise the class
    folders of ``data_dir``, or of ``data_dir/<split>`` when it has train/validation/test.
    Labels are class names, or from a CSV an indicator DataFrame named by its columns.
    """
    import pandas as pd

    from .. import load_image_folder, load_labels_csv

    if labels_csv is not None:
        data = load_labels_csv(labels_csv, image_dir=data_dir, verbose=True)
        labels = pd.DataFrame(data.target, columns=data.target_names)
        where = f"{labels_csv} (images under {data_dir})"
        return data.paths, labels, list(data.target_names), True, where
    check_data_dir(data_dir)
    root = Path(data_dir)
    subset = split if (root / split).is_dir() else None
    if subset is None and (root / "train").is_dir():
        raise CommandError(f"{data_dir!r} has split folders but no {split}/ folder; put the "
                           f"images to use in {os.path.join(data_dir, split)!r}.",
                           path=data_dir)
    data = load_image_folder(root, subset=subset, verbose=True)
    names = np.asarray(data.target_names, dtype=object)
    where = os.path.join(data_dir, subset) if subset else data_dir
    return data.paths, names[data.target], list(data.target_names), False, where


def check_found(paths, where: str) -> None:
    if len(paths) == 0:
        raise CommandError(f"No images found in {where}: expected <class>/<image> files "
                           "(.png, .jpg, .bmp, .gif, .tif, .webp).")


def single_labels(labels, where: str) -> np.ndarray:
    """Indicator rows as one label each, or an error naming a row with another count."""
    counts = labels.to_numpy().sum(axis=1)
    for index, count in enumerate(counts):
        if count != 1:
            raise CommandError(
                f"Row {index + 2} of {where} has {count} labels, but a single-label model "
                "(cnn, transfer) takes exactly one per image; train a multi-label one "
                "(--estimator multilabel) for several.")
    return labels.columns.to_numpy(dtype=object)[labels.to_numpy().argmax(axis=1)]


def check_out_folder(folder: str, option: str, purpose: str) -> None:
    """Refuse, before any work, an output folder that cannot be made or written into: an
    empty name, a file of that name, a missing parent, or one this user may not write."""
    if not folder:
        raise CommandError(f"{option} is empty; name a folder for {purpose}.")
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise CommandError(f"{option} {folder!r} exists and is not a folder; name a folder "
                           f"for {purpose} (it is made if missing).", path=folder)
    parent = os.path.dirname(os.path.abspath(folder))
    if not os.path.isdir(parent):
        raise CommandError(f"Cannot write {option} {folder!r}: the folder {parent!r} does "
                           "not exist. Create it first.", path=parent)
    writable = folder if os.path.isdir(folder) else parent
    if not os.access(writable, os.W_OK | os.X_OK):
        raise CommandError(f"Cannot write {option} {folder!r}: the folder {writable!r} is "
                           "not writable (read-only, or its permissions). Choose another.",
                           path=writable)


def image_paths(items: list[str]) -> np.ndarray:
    """The image files named, and those anywhere under the folders named, in order."""
    from .._utils.imaging import image_files, is_image_file

    paths = []
    for item in items:
        if os.path.isdir(item):
            unreadable = []
            found = image_files(Path(item), unreadable)
            if unreadable:
                raise unreadable[0]
            if not found:
                raise CommandError(f"No images found under the folder {item!r}.", path=item)
            paths.extend(found)
        elif not os.path.lexists(item):
            raise CommandError(f"{item!r} does not exist. Name image files or folders of them.",
                               path=item)
        elif not is_image_file(item):
            raise CommandError(f"{item!r} is not an image file (by its extension); name "
                               "image files or folders of them.", path=item)
        else:
            paths.append(item)
    return np.asarray(paths, dtype=str)


def load_model(path: str):
    """The saved model and its final estimator, made quiet for predicting."""
    from .. import io
    from ..estimators._base import final_step

    model = io.load(path)
    prefix, final = final_step(model)
    if not hasattr(model, "predict_proba"):
        raise CommandError(f"{path!r} holds a {type(final).__name__}, which gives no "
                           "probabilities (predict_proba); the command line needs one that "
                           "does.", path=path)
    if not hasattr(final, "classes_"):
        raise CommandError(f"{path!r} holds an unfitted {type(final).__name__}; train it "
                           "first (toonsklearn train ... --out MODEL).", path=path)
    if "verbose" in final.get_params():
        model.set_params(**{f"{prefix}verbose": 0})
    return model, final


def indicator(labels, classes) -> np.ndarray:
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
    missing = [name for name in classes if name not in given]
    if isinstance(labels, pd.DataFrame) and missing:
        raise CommandError(f"The labels CSV has no column for {', '.join(missing)}, which the "
                           "model knows; give it a 0/1 column for every label.")
    if isinstance(labels, pd.DataFrame):
        return labels[classes].to_numpy(dtype=int)
    return (np.asarray(labels, dtype=str)[:, None] == np.asarray(classes)).astype(int)
