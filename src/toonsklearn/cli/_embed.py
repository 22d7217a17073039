"""``toonsklearn embed``: a folder of images as one NumPy ``.npz`` file of embeddings,
with each image's path and label, for any scikit-learn model or notebook to read."""

from __future__ import annotations

import argparse
import difflib
import os
from pathlib import Path

import numpy as np

from .._utils.replace import replacing
from ._commands import _check_writable
from ._data import CommandError

#: The arrays of the file ``embed`` writes, in the order they are written.
ARRAYS = ("embeddings", "paths", "labels", "backbone", "weights", "input_size", "pooling")


def embed(args: argparse.Namespace) -> int:
    from ..embedding import ImageEmbedder

    _check_options(args)
    paths, labels = _folder_images(args.data_dir)
    embedder = ImageEmbedder(
        args.backbone, weights=None if args.weights == "none" else args.weights,
        input_size=None if args.input_size is None else tuple(args.input_size),
        pooling=args.pooling, memory=args.memory, batch_size=args.batch_size,
        random_state=args.random_state, verbose=1)
    _build(embedder, paths, args.weights)
    print(f"Embedding {len(paths)} images from {args.data_dir} with {args.backbone} at "
          f"{embedder.image_shape_[0]}x{embedder.image_shape_[1]}.", flush=True)
    embeddings = embedder.transform(paths)
    arrays = {
        "embeddings": embeddings,
        # fixed-width unicode, never object arrays: numpy.load reads them without pickle
        "paths": np.asarray([os.path.relpath(path, args.data_dir) for path in paths],
                            dtype=str),
        "labels": np.asarray(labels, dtype=str),
        "backbone": np.asarray(args.backbone, dtype=str),
        "weights": np.asarray(args.weights, dtype=str),
        "input_size": np.asarray(embedder.image_shape_[:2], dtype=np.int64),
        "pooling": np.asarray(args.pooling, dtype=str),
    }
    # a file object: given a name, savez would append .npz to the temporary one
    with replacing(args.out) as partial, open(partial, "wb") as stream:
        np.savez(stream, **{name: arrays[name] for name in ARRAYS})
    print(f"Saved {embeddings.shape[0]} embeddings of {embeddings.shape[1]} dimensions to "
          f"{args.out}; read them with numpy.load({args.out!r}).")
    return 0


def _build(embedder, paths: np.ndarray, weights: str) -> None:
    """Fit ``embedder`` (build its network), a weights file that does not load named."""
    from ..exceptions import ToonsklearnError

    try:
        embedder.fit(paths)
    except ToonsklearnError:
        raise
    except (OSError, ValueError) as exc:
        if weights in ("imagenet", "none"):
            raise
        cause = " ".join(str(exc).split())
        if len(cause) > 200:  # Keras lists every layer and its values
            cause = cause[:200].rsplit(" ", 1)[0] + " ..."
        raise CommandError(f"Could not load --weights {weights!r} into {embedder.backbone} "
                           f"({cause}). Pass a Keras weights file saved from that backbone, "
                           "imagenet, or none.", path=weights) from exc


def _check_options(args: argparse.Namespace) -> None:
    """Refuse, before any image is read, what the command line cannot do."""
    check_embedder_options(args)
    _check_writable(args.out, "--out", "embeddings.npz")
    if not args.out.lower().endswith(".npz"):
        raise CommandError(f"--out {args.out!r} must end in .npz (NumPy's format, read with "
                           f"numpy.load), e.g. {os.path.splitext(args.out)[0] + '.npz'!r}.",
                           path=args.out)


def check_embedder_options(args: argparse.Namespace) -> None:
    """Refuse a ``--backbone``, ``--input-size``, ``--weights`` or ``--memory`` that an
    ``ImageEmbedder`` cannot take (``embed`` and ``audit`` both build one), before any
    image is read."""
    from ..backbones import get_backbone_spec, list_backbones

    known = list_backbones()
    if args.backbone not in known:
        close = difflib.get_close_matches(args.backbone, known, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise CommandError(f"Unknown backbone {args.backbone!r}. {hint}List the known ones "
                           "with: toonsklearn backbones")
    smallest = get_backbone_spec(args.backbone).min_size
    if args.input_size is not None and min(args.input_size) < smallest:
        raise CommandError(f"--input-size {args.input_size[0]} {args.input_size[1]} is smaller "
                           f"than {args.backbone} takes; pass at least --input-size "
                           f"{smallest} {smallest}.")
    if args.weights not in ("imagenet", "none") and not os.path.isfile(args.weights):
        raise CommandError(f"--weights {args.weights!r} is neither imagenet, none, nor an "
                           "existing file; pass the path of a Keras weights file "
                           "(.weights.h5).", path=args.weights)
    if args.memory is not None and os.path.lexists(args.memory) and not os.path.isdir(
            args.memory):
        raise CommandError(f"--memory {args.memory!r} exists and is not a folder; name a "
                           "folder for the feature cache.", path=args.memory)


def _folder_images(data_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """(paths, labels) of every readable image of ``data_dir``.

    Class folders are read as ``train`` reads them, every split of train/, validation/
    and test/ when there are such folders; a folder with no sub-folders gives each image
    the label "". A file that is not a readable image is left out, and a warning names it.
    """
    from .. import load_image_folder
    from ..loaders import SPLIT_NAMES

    root = Path(data_dir)
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise CommandError(f"DATA_DIR {data_dir!r} {what}. Pass a folder of images, or one "
                           "with a sub-folder of images per class.", path=data_dir)
    try:
        folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except PermissionError:
        raise CommandError(f"Cannot list DATA_DIR {data_dir!r} (permission denied). Change "
                           "its permissions (chmod a+rx).", path=data_dir) from None
    if not folders:
        paths = _flat_images(root)
        labels = np.full(len(paths), "")
    else:
        splits = [name for name in SPLIT_NAMES if (root / name).is_dir()] or [None]
        paths, labels = [], []
        for split in splits:
            data = load_image_folder(root, subset=split, on_error="skip", verbose=True)
            paths.extend(data.paths)
            labels.extend(np.asarray(data.target_names, dtype=str)[data.target])
    if len(paths) == 0:
        raise CommandError(f"No images found in {data_dir}: expected image files (.png, .jpg, "
                           ".bmp, .gif, .tif, .webp), in it or in one sub-folder per class.",
                           path=data_dir)
    return np.asarray(paths, dtype=str), np.asarray(labels, dtype=str)


def _flat_images(root: Path) -> list[str]:
    """The readable images of a folder without class folders (as load_image_folder's
    on_error="skip" leaves them: a warning names those left out)."""
    from .._utils.imaging import image_files
    from ..loaders import _check_files, _warn_skipped

    unreadable = []
    found = image_files(root, unreadable)
    errors = _check_files(found, None, -1, verbose=True)
    bad = [error for error in errors if error is not None]
    if bad or unreadable:
        _warn_skipped(bad, len(found), unreadable)
    return [path for path, error in zip(found, errors, strict=True) if error is None]
