"""``toonsklearn audit``: what is wrong with a folder of labelled images, before a model
learns it.

The folder is read as ``train`` reads it: one sub-folder of images per class, every
split when it has ``train/``, ``validation/`` or ``test/`` (only those are read then, an
empty one left out), or images with no class folders at all; a file that is not a
readable image is left out, and one warning line counts them. Then, over all the
images of every split together:

1. Copies (:func:`~toonsklearn.inspection.find_duplicates`, perceptual hashes at
   ``--threshold``): groups of exact copies (every member the same bytes) and of near
   copies (at least one resized, recompressed or retouched member). With splits, the
   copies of training images in validation/ and test/ (:func:`~toonsklearn.inspection.
   leakage`), the leak that makes their scores too good.
2. Embeddings: one pass of ``ImageEmbedder(--backbone)`` over the images, each image's
   features cached in ``--memory`` (default ``OUT/.features``), so that a second audit
   of the same files (after a fix, say) reads them back instead of computing them.
3. Label issues (:func:`~toonsklearn.inspection.find_label_issues`):
   ``make_pipeline(ImageEmbedder(), LogisticRegression(max_iter=1000))``
   cross-validated in ``--cv`` folds, ranked by cleanlab.
4. The score of that pipeline (accuracy, ``--cv`` folds) with a shuffled
   ``StratifiedKFold``, which puts copies on both sides of a split, against a
   ``StratifiedGroupKFold`` whose groups are the copy groups of step 1 (what
   :func:`~toonsklearn.inspection.duplicate_groups` gives), which keeps each group on
   one side: the difference is what the copies add to a score.

Steps 2 to 4 need two classes or more: a folder of one class, or without class
folders, is audited for copies only, and the summary says why the rest was skipped.

It writes, in the ``--out`` folder (made if missing; its parent must exist): ``duplicates.csv``
(``find_duplicates``' columns plus ``label`` and ``split``), ``leakage.csv`` when there
are splits (``split``, ``leakage``'s columns, ``test_label``, ``train_label``),
``label_issues.csv`` (``find_label_issues``' columns, every image, the most likely
wrong label first; only its header when step 3 was skipped) and ``index.html`` (see
:mod:`._audit_page`). An ``index`` is the image's position in the audit's list of all
images (train, validation, test; each by class, then name), the same in every file;
paths are as read (``DATA_DIR/...``). The files are written together at the end, each
whole or not at all: a run that fails or is interrupted leaves the files of the run
before.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

import numpy as np

from ._data import CommandError, check_data_dir, check_out_folder
from ._embed import check_embedder_options

#: The files ``audit`` writes in its ``--out`` folder.
FILES = ("duplicates.csv", "leakage.csv", "label_issues.csv", "index.html")
_SCORED = "make_pipeline(ImageEmbedder(), LogisticRegression())"


def audit(args: argparse.Namespace) -> int:
    check_data_dir(args.data_dir)  # a typo answered before TensorFlow loads
    _check_options(args)
    paths, labels, splits = _read(args.data_dir)
    classes = sorted(set(labels.tolist()) - {""})
    skipped = _why_not_labels(args.data_dir, classes)
    if skipped is None:
        _check_folds(labels, classes, args.cv)

    duplicates, groups = _copies(paths, labels, splits, args.threshold)
    leaks = _leaks(paths, labels, splits, args.threshold)
    issues = scores = None
    if skipped is None:
        issues, scores = _labels_and_scores(args, paths, labels, groups)

    summary = _summary(args, paths, labels, splits, classes, duplicates, leaks, issues,
                       scores, skipped)
    _write(args, paths, labels, splits, duplicates, leaks, issues, skipped, summary)
    print()
    for line in summary.lines:
        print(line)
    return 0


# ------------------------------------------------------------------------- the checks
def _check_options(args: argparse.Namespace) -> None:
    """Refuse, before any image is read, an option that cannot work."""
    out = args.out
    check_out_folder(out, "--out", "the audit's files")
    if _inside(out, args.data_dir):
        raise CommandError(f"--out {out!r} is inside DATA_DIR {args.data_dir!r}, where the "
                           "next audit would read it as a class folder; name a folder "
                           "outside DATA_DIR.", path=out)
    check_embedder_options(args)


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def _why_not_labels(data_dir: str, classes: list) -> str | None:
    """Why label issues and scores cannot be computed, or None when they can."""
    if not classes:
        return (f"{data_dir} has no class folders, so its images have no labels to check; "
                "put them in one sub-folder per class.")
    if len(classes) < 2:
        return (f"the images have one class, {classes[0]}; label issues and the scores "
                "need two classes or more.")
    return None


def _check_folds(labels: np.ndarray, classes: list, cv: int) -> None:
    counts = {name: int((labels == name).sum()) for name in classes}
    name = min(counts, key=counts.get)
    if counts[name] >= cv:
        return
    n = counts[name]
    fix = (f"pass --cv {n} or add images of {name!r}" if n >= 2 else
           f"add images of {name!r} (two at least), or remove its folder")
    raise CommandError(f"Class {name!r} has {n} image{'s' if n != 1 else ''}, fewer than the "
                       f"--cv {cv} folds the label check and the scores need (each fold "
                       f"holds some of every class); {fix}.")


# ------------------------------------------------------------------------ the images
def _read(data_dir: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(paths, labels, splits) of every readable image of ``data_dir``; a label is the
    class folder ('' with no class folders), a split the split folder ('' without)."""
    from .. import load_image_folder
    from ..loaders import SPLIT_NAMES
    from ._embed import _flat_images

    root = Path(data_dir)
    try:
        folders = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    except PermissionError:
        raise CommandError(f"Cannot list DATA_DIR {data_dir!r} (permission denied). Change "
                           "its permissions (chmod a+rx).", path=data_dir) from None
    paths, labels, splits = [], [], []
    if not folders:
        paths = _flat_images(root)
        labels = splits = [""] * len(paths)
    present = [name for name in SPLIT_NAMES if name in folders]
    if present:  # only the splits are read, those not filled yet left out
        parts = [name for name in present if not _empty(root / name)]
    else:  # class folders, or none (the images above)
        parts = [""] if folders else []
    for split in parts:
        data = load_image_folder(root, subset=split or None, on_error="skip", verbose=True)
        paths.extend(data.paths)
        labels.extend(np.asarray(data.target_names, dtype=str)[data.target])
        splits.extend([split] * len(data.paths))
    if not paths:
        raise CommandError(f"No images found in {data_dir}: expected image files (.png, .jpg, "
                           ".bmp, .gif, .tif, .webp) in one sub-folder per class (or under "
                           "train/, validation/, test/).", path=data_dir)
    return (np.asarray(paths, dtype=str), np.asarray(labels, dtype=str),
            np.asarray(splits, dtype=str))


def _empty(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but hidden entries (a split not filled yet)."""
    try:
        return not any(not entry.name.startswith(".") for entry in folder.iterdir())
    except OSError:  # the loader names the folder it cannot list
        return False


# ------------------------------------------------------------------------ the steps
def _copies(paths, labels, splits, threshold: float):
    """The duplicates table (with label and split) and each image's copy group."""
    from ..inspection import find_duplicates
    from ..inspection._duplicates import group_labels

    print(f"Looking for exact and near copies among {len(paths)} images (perceptual "
          f"hashes, --threshold {threshold:g}) ...", flush=True)
    duplicates = find_duplicates(paths, threshold=threshold, on_error="skip")
    index = duplicates["index"].to_numpy()
    duplicates["label"] = labels[index].astype(object)
    duplicates["split"] = splits[index].astype(object)
    # duplicate_groups' labels, from the same table (the images are hashed once)
    return duplicates, group_labels(duplicates, len(paths))


def _leaks(paths, labels, splits, threshold: float):
    """The leakage table of validation/ and test/ against train/, or None without them."""
    import pandas as pd

    from ..inspection import leakage

    train = np.flatnonzero(splits == "train")
    held = np.flatnonzero(np.isin(splits, ["validation", "test"]))
    if not len(train) or not len(held):
        return None
    leaks = leakage(paths[train], paths[held], threshold=threshold, on_error="skip")
    test_index = held[leaks["test_index"].to_numpy()]
    train_index = train[leaks["train_index"].to_numpy()]
    table = pd.DataFrame({"split": splits[test_index].astype(object)})
    for column in leaks.columns:
        table[column] = leaks[column].to_numpy()
    table["test_index"], table["train_index"] = test_index, train_index
    table["test_label"] = labels[test_index].astype(object)
    table["train_label"] = labels[train_index].astype(object)
    table.attrs = {"n_held": {name: int((splits == name).sum())
                              for name in ("validation", "test") if (splits == name).any()}}
    return table


def _labels_and_scores(args, paths, labels, groups):
    """Label issues and the two scores of ``make_pipeline(ImageEmbedder(),
    LogisticRegression())``, from one pass of the embedder.

    ``ImageEmbedder.fit`` learns nothing from the images (it builds the network), so
    each fold of that pipeline gives what ``LogisticRegression`` gives on the fold's
    rows of the embeddings: the folds below start from those, the same numbers without
    building the backbone again for each of the 3 x ``--cv`` fits.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score

    from ..embedding import ImageEmbedder
    from ..inspection import find_label_issues
    from ._embed import _build

    memory = args.memory if args.memory is not None else os.path.join(args.out, ".features")
    embedder = ImageEmbedder(
        args.backbone, weights=None if args.weights == "none" else args.weights,
        input_size=None if args.input_size is None else tuple(args.input_size),
        memory=memory, random_state=args.random_state, verbose=1)
    _build(embedder, paths, args.weights)
    height, width = embedder.image_shape_[:2]
    print(f"Computing embeddings of {len(paths)} images with {args.backbone} at "
          f"{height}x{width} (cached in {memory}) ...", flush=True)
    embeddings = embedder.transform(paths)
    head = LogisticRegression(max_iter=1000)
    print(f"Cross-validating LogisticRegression on the embeddings in {args.cv} folds to "
          "find label issues ...", flush=True)
    issues = find_label_issues(head, embeddings, labels, cv=args.cv,
                               random_state=args.random_state)
    issues["path"] = paths[issues["index"].to_numpy()].astype(object)
    print(f"Scoring {_SCORED}: {args.cv} folds of a random split, then of a group split "
          "...", flush=True)
    random_split = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    group_split = StratifiedGroupKFold(args.cv, shuffle=True, random_state=args.random_state)
    scores = (cross_val_score(head, embeddings, labels, cv=random_split),
              cross_val_score(head, embeddings, labels, cv=group_split, groups=groups))
    return issues, scores


# ------------------------------------------------------------------------ the report
class _Summary:
    """The summary's printed lines and the page's (what, value) rows, built together."""

    def __init__(self):
        self.lines, self.rows = [], []

    def add(self, line: str, what: str | None = None, value: str | None = None) -> None:
        self.lines.append(line)
        if what is not None:
            self.rows.append((what, value))


def _summary(args, paths, labels, splits, classes, duplicates, leaks, issues, scores,
             skipped) -> _Summary:
    summary = _Summary()
    n_classes = (f"{len(classes)} class{'es' if len(classes) != 1 else ''} "
                 f"({', '.join(classes)})" if classes else "no class folders")
    summary.add(f"Audit of {args.data_dir}: {len(paths)} images, {n_classes}.", "images",
                f"{len(paths)}, {n_classes}")
    for split in dict.fromkeys(splits.tolist()):
        here = labels[splits == split]
        named = ", ".join(f"{name} {int((here == name).sum())}" for name in classes
                          if (here == name).any())
        line = f"{int(len(here))} images" + (f": {named}" if named else "")
        summary.add(f"  {split}: {line}" if split else f"  {line}")
    group = duplicates["group"].to_numpy()
    size = np.bincount(group, minlength=duplicates.attrs["n_groups"])
    exact = np.bincount(group, weights=(duplicates["kind"] == "exact").to_numpy(),
                        minlength=len(size)) == size  # every member the same bytes
    copies = (f"{exact.sum()} group{'s' if exact.sum() != 1 else ''} of exact copies "
              f"({size[exact].sum()} images), {(~exact).sum()} group"
              f"{'s' if (~exact).sum() != 1 else ''} of near copies ({size[~exact].sum()} "
              "images)")
    summary.add(f"Copies: {copies}.", "copies", copies)
    for split, n_held in ({} if leaks is None else leaks.attrs["n_held"]).items():
        found = leaks[leaks["split"] == split]
        n_exact = int((found["kind"] == "exact").sum())
        leak = (f"{len(found)} of {n_held} {split} images "
                f"{'has' if len(found) == 1 else 'have'} a copy in train ({n_exact} exact, "
                f"{len(found) - n_exact} near)")
        summary.add(f"Leak: {leak}.", f"leak, {split}", leak)
    if issues is None:
        summary.add(f"Label issues and scores: skipped, {skipped}", "label issues",
                    f"skipped: {skipped}")
    else:
        found = (f"{int(issues['is_issue'].sum())} of {len(issues)} labels look wrong "
                 f"({args.cv}-fold cross-validation, cleanlab)")
        summary.add(f"Label issues: {found}.", "label issues", found)
        random_split, group_split = (float(np.mean(s)) for s in scores)
        spread = [float(np.std(s)) for s in scores]
        scored = (f"random split {random_split:.3f} ± {spread[0]:.3f}, group split "
                  f"{group_split:.3f} ± {spread[1]:.3f}, difference "
                  f"{random_split - group_split:+.3f}")
        summary.add(f"Accuracy of {_SCORED}, {args.cv}-fold: {scored} (the group split "
                    "keeps each group of copies on one side).",
                    f"accuracy, {args.cv}-fold", scored)
    written = [name for name in FILES if name != "leakage.csv" or leaks is not None]
    summary.add(f"Wrote {', '.join(written)} in {args.out}; open "
                f"{os.path.join(args.out, 'index.html')} in a browser.")
    return summary


def _write(args, paths, labels, splits, duplicates, leaks, issues, skipped, summary) -> None:
    """Write every file of the audit, each whole; all are renamed into place at the end,
    so a failure on the way leaves the files of the run before."""
    import pandas as pd

    from .. import __version__
    from .._utils.imaging import map_threads
    from .._utils.replace import replacing
    from ..inspection._label_issues import LABEL_ISSUE_COLUMNS
    from ._audit_page import render_page, shown_indices, thumbnail_png

    counts = pd.crosstab(pd.Series(labels, name="class"),
                         pd.Series(np.where(splits == "", "images", splits), name="split"))
    order = [s for s in ("train", "validation", "test", "images") if s in counts.columns]
    counts = counts[order]
    if len(order) > 1:
        counts["all"] = counts.sum(axis=1)
    shown = shown_indices(duplicates, issues)
    pngs = map_threads(lambda i: thumbnail_png(paths[i]), shown, -1)
    page = render_page(data_dir=args.data_dir, version=__version__, summary=summary.rows,
                       counts=counts, duplicates=duplicates, issues=issues,
                       skipped_labels=skipped, thumbnails=dict(zip(shown, pngs, strict=True)),
                       paths=paths, labels=labels, splits=splits)
    tables = {"duplicates.csv": duplicates,
              "label_issues.csv": (issues if issues is not None
                                   else pd.DataFrame(columns=list(LABEL_ISSUE_COLUMNS)))}
    if leaks is not None:
        tables["leakage.csv"] = leaks
    os.makedirs(args.out, exist_ok=True)
    with contextlib.ExitStack() as stack:
        for name, table in tables.items():
            partial = stack.enter_context(replacing(os.path.join(args.out, name)))
            with open(partial, "w", newline="", encoding="utf-8",
                      errors="surrogateescape") as stream:
                table.to_csv(stream, index=False, float_format="%.6g")
        partial = stack.enter_context(replacing(os.path.join(args.out, "index.html")))
        with open(partial, "w", encoding="utf-8") as stream:
            stream.write(page)
    stale = os.path.join(args.out, "leakage.csv")
    if leaks is None and os.path.isfile(stale):
        os.remove(stale)  # an earlier audit's, of a folder with splits
