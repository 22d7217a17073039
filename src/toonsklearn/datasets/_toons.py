"""``make_toons``: built-in cartoon data that needs no network.

Palettes, backgrounds, clutter, position, scale, rotation and occlusion are drawn at
random for every image (the characters come from :mod:`._painters`), so a model has to
learn shapes. Two more tasks widen the set: ``"vehicles"`` sets four vehicles against
the seven animals, and ``"characters"`` is a cast of up to 210 named characters, each a
species in its own colour with its own accessory, for few-shot learning.
"""

from __future__ import annotations

import csv
import os
from numbers import Integral
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from sklearn.utils._param_validation import InvalidParameterError

from ._painters import CAST, CHARACTERS, VEHICLES, _character, _colour

__all__ = ["MULTILABEL_NAMES", "make_toons"]

# The public MULTILABEL_NAMES (documented in the package's __init__).
MULTILABEL_NAMES = ("tom", "jerry")
_SPLITS = (("train", 0.7), ("validation", 0.15), ("test", 0.15))


def _background(rng: np.random.Generator, size: int) -> Image.Image:
    """Solid, gradient, blurred noise or stripes, in random colours."""
    kind = rng.integers(4)
    a, b = np.array(_colour(rng)[:3]), np.array(_colour(rng)[:3])
    if kind == 0:
        return Image.new("RGBA", (size, size), (*map(int, a), 255))
    if kind == 1:
        t = np.linspace(0, 1, size)[:, None, None]
        pixels = np.broadcast_to(a * (1 - t) + b * t, (size, size, 3))
        if rng.random() < 0.5:
            pixels = pixels.transpose(1, 0, 2)
    elif kind == 2:
        noise = Image.fromarray(rng.integers(0, 256, (size // 8 + 1,) * 2, dtype=np.uint8), "L")
        t = np.asarray(noise.resize((size, size), Image.Resampling.BICUBIC), float)[..., None] / 255
        pixels = a * (1 - t) + b * t
    else:
        period = rng.integers(4, 16) * size / 64
        t = ((np.arange(size) // period) % 2)[:, None, None]
        pixels = np.broadcast_to(a * (1 - t) + b * t, (size, size, 3))
        if rng.random() < 0.5:
            pixels = pixels.transpose(1, 0, 2)
    rgb = Image.fromarray(np.ascontiguousarray(pixels).astype(np.uint8), "RGB")
    return rgb.convert("RGBA")


def _clutter(rng: np.random.Generator, draw: ImageDraw.ImageDraw, size: int, count: int) -> None:
    """Random circles, boxes, triangles and lines that carry no class information."""
    for _ in range(count):
        x, y = rng.uniform(0, size, 2)
        r = rng.uniform(0.04, 0.16) * size
        colour = _colour(rng)
        kind = rng.integers(4)
        if kind == 0:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        elif kind == 1:
            draw.rectangle((x - r, y - r * rng.uniform(0.3, 1), x + r, y + r), fill=colour)
        elif kind == 2:
            corners = [(x + r * np.cos(t), y + r * np.sin(t)) for t in rng.uniform(0, 6.3, 3)]
            draw.polygon(corners, fill=colour)
        else:
            end = (x + rng.uniform(-3, 3) * r, y + rng.uniform(-3, 3) * r)
            draw.line([(x, y), end], fill=colour, width=max(1, round(r / 4)))


def _paste(
    rng: np.random.Generator,
    canvas: Image.Image,
    layer: Image.Image,
    scale: float,
    box: tuple[float, float, float, float],
) -> tuple[int, int, int]:
    """Scale ``layer`` to ``scale`` of the canvas and paste it at a random place inside ``box``."""
    size = canvas.width
    side = max(2, round(scale * size))
    layer = layer.resize((side, side), Image.Resampling.LANCZOS)
    x0, y0, x1, y1 = (round(v * size) for v in box)
    x = int(rng.integers(x0 - side // 8, max(x0 - side // 8 + 1, x1 - side + side // 8)))
    y = int(rng.integers(y0 - side // 8, max(y0 - side // 8 + 1, y1 - side + side // 8)))
    canvas.paste(layer, (x, y), layer)  # paste, unlike alpha_composite, allows x, y < 0
    return x, y, side


def _occlude(
    rng: np.random.Generator, draw: ImageDraw.ImageDraw, x: int, y: int, side: int
) -> None:
    """Cover part of a character with a blob or a bar."""
    cx, cy = x + rng.uniform(0.1, 0.9) * side, y + rng.uniform(0.1, 0.9) * side
    r = rng.uniform(0.08, 0.18) * side
    if rng.random() < 0.5:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_colour(rng))
    else:
        draw.rectangle((cx - 2 * r, cy - r / 2, cx + 2 * r, cy + r / 2), fill=_colour(rng))


def _draw(seed: int, names: list[str], canvas_size: int, out_size: tuple[int, int]) -> np.ndarray:
    """One image with the characters in ``names`` (none, one or two), as uint8 RGB."""
    rng = np.random.default_rng(seed)
    canvas = _background(rng, canvas_size)
    draw = ImageDraw.Draw(canvas)
    _clutter(rng, draw, canvas_size, int(rng.integers(0, 6)))
    if len(names) == 2:
        boxes = [(0.0, 0.0, 0.55, 1.0), (0.45, 0.0, 1.0, 1.0)]
        scales = rng.uniform(0.45, 0.6, 2)
    else:
        boxes, scales = [(0.0, 0.0, 1.0, 1.0)], rng.uniform(0.6, 0.95, 1)
    order = rng.permutation(len(boxes))
    for name, box_index, scale in zip(names, order, scales, strict=False):
        x, y, side = _paste(
            rng, canvas, _character(rng, name, canvas_size), scale, boxes[box_index]
        )
        if rng.random() < 0.3:
            _occlude(rng, draw, x, y, side)
    _clutter(rng, draw, canvas_size, int(rng.integers(0, 2)))
    image = canvas.convert("RGB")
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * canvas_size / 64))
    height, width = out_size
    return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS), dtype=np.uint8)


def make_toons(
    n_samples: int = 1000,
    *,
    task: str = "binary",
    n_classes: int | None = None,
    image_size: int | tuple[int, int] = 64,
    random_state: int | np.random.Generator | None = None,
    directory: str | os.PathLike | None = None,
):
    """Draw cartoon characters procedurally: a dataset that needs no download.

    ``"binary"`` tells a cat-like ``"tom"`` from a mouse-like ``"jerry"``;
    ``"multiclass"`` adds ``"spike"`` (dog), ``"bunny"``, ``"duck"``, ``"bear"``
    and ``"frog"``; ``"multilabel"`` draws neither, one or both of tom and jerry
    (with an unrelated character standing in some of the time). ``"vehicles"``
    labels a car, bus, plane or boat ``"vehicle"`` and any of the seven animals
    ``"animal"``. ``"characters"`` draws the named characters of :data:`CAST`:
    one species in a fixed colour with a fixed accessory each, many classes that
    tell apart by shape, colour and accessory together (a few-shot task).

    Classes are balanced. Apart from a cast member's body colour, everything that
    is not the class is random: colours, background, clutter, position, scale,
    rotation, mirroring, blur and occlusion.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    task : {"binary", "multiclass", "multilabel", "vehicles", "characters"}, \
default="binary"
        The labelling task.
    n_classes : int or None, default=None
        For ``"multiclass"``, how many characters (2 to 7, taken in the order
        of :data:`CHARACTERS`); None uses all 7. For ``"characters"``, how many
        of :data:`CAST` (2 to 210, in its order); None uses all. Fixed at 2 for
        the other tasks.
    image_size : int or tuple of (int, int), default=64
        Side of the square images, or ``(height, width)``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed; the same int gives byte-identical images.
    directory : str or path-like or None, default=None
        If given, write PNG files to ``directory/{train,validation,test}/``
        (70/15/15) instead of returning arrays: one folder per class, or for
        ``"multilabel"`` the images plus a ``ground_truth.csv`` in each split.

    Returns
    -------
    X : ndarray of uint8, shape (n_samples, height, width, 3)
        The images, when ``directory`` is None.
    y : ndarray
        Class names (str), shape (n_samples,); for ``"multilabel"`` a 0/1
        indicator matrix of shape (n_samples, 2) with columns
        :data:`MULTILABEL_NAMES` (``tom``, ``jerry``).
    directory : pathlib.Path
        Instead of ``(X, y)`` when ``directory`` is given.

    See Also
    --------
    toonsklearn.load_image_folder : Read the written folders back.
    toonsklearn.load_labels_csv : Read a written ``ground_truth.csv``.

    Examples
    --------
    >>> from toonsklearn.datasets import make_toons
    >>> X, y = make_toons(6, image_size=32, random_state=0)
    >>> X.shape, X.dtype
    ((6, 32, 32, 3), dtype('uint8'))
    >>> sorted(set(y.tolist()))
    ['jerry', 'tom']
    >>> _, y = make_toons(8, task="vehicles", image_size=16, random_state=0)
    >>> sorted(set(y.tolist()))
    ['animal', 'vehicle']
    >>> _, y = make_toons(4, task="characters", n_classes=4, image_size=16, random_state=0)
    >>> sorted(y.tolist())
    ['green_bunny_plain', 'orange_jerry_plain', 'red_tom_plain', 'yellow_spike_plain']
    """
    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise InvalidParameterError(
            f"n_samples must be a positive int; received n_samples={n_samples!r}.")
    tasks = ("binary", "multiclass", "multilabel", "vehicles", "characters")
    if task not in tasks:
        raise InvalidParameterError(f"task must be one of {', '.join(map(repr, tasks))}; received "
                         f"task={task!r}.")
    if task in ("multiclass", "characters"):
        roster = list(CHARACTERS) if task == "multiclass" else list(CAST)
        n_classes = len(roster) if n_classes is None else n_classes
        if not isinstance(n_classes, Integral) or not 2 <= n_classes <= len(roster):
            raise InvalidParameterError(
                f"n_classes must be an int from 2 to {len(roster)} for task={task!r}; "
                f"received n_classes={n_classes!r}."
            )
    elif n_classes not in (None, 2):
        raise InvalidParameterError(
            f"task={task!r} has 2 classes; received n_classes={n_classes!r}.")
    out_size = (image_size, image_size) if isinstance(image_size, Integral) else tuple(image_size)
    if len(out_size) != 2 or not all(isinstance(s, Integral) and s > 0 for s in out_size):
        raise InvalidParameterError(
            f"image_size must be a positive int or (height, width); received "
            f"image_size={image_size!r}."
        )
    canvas_size = max(96, 2 * max(out_size))

    rng = (
        random_state
        if isinstance(random_state, np.random.Generator)
        else np.random.default_rng(random_state)
    )
    names = (list(CAST) if task == "characters" else list(CHARACTERS))[: n_classes or 2]
    seeds = rng.integers(0, 2**63, size=n_samples)
    if task == "multilabel":
        combos = rng.permutation(np.arange(n_samples) % 4)  # neither, tom, jerry, both
        target = np.stack([(combos & 1) > 0, (combos & 2) > 0], axis=1).astype(np.intp)
        extras = list(CHARACTERS)[2:]
        drawn = [
            [n for n, on in zip(MULTILABEL_NAMES, row, strict=True) if on]
            or ([extras[rng.integers(len(extras))]] if rng.random() < 0.5 else [])
            for row in target
        ]
    elif task == "vehicles":
        target = np.asarray(["animal", "vehicle"])[rng.permutation(np.arange(n_samples) % 2)]
        kinds = {"animal": list(CHARACTERS), "vehicle": list(VEHICLES)}
        drawn = [[kinds[label][rng.integers(len(kinds[label]))]] for label in target]
    else:
        target = np.asarray(names)[rng.permutation(np.arange(n_samples) % len(names))]
        drawn = [[name] for name in target]

    if directory is None:
        X = np.stack(
            [_draw(s, d, canvas_size, out_size) for s, d in zip(seeds, drawn, strict=True)]
        )
        return X, target
    return _write_tree(Path(directory), task, seeds, drawn, target, canvas_size, out_size, rng)


def _write_tree(root, task, seeds, drawn, target, canvas_size, out_size, rng) -> Path:
    """Write the images as PNG files under ``root/<split>/``; return ``root``."""
    order = rng.permutation(len(seeds))
    bounds = np.cumsum([0] + [round(fraction * len(seeds)) for _, fraction in _SPLITS[:-1]])
    for split_index, (split, _) in enumerate(_SPLITS):
        start = bounds[split_index]
        stop = bounds[split_index + 1] if split_index + 1 < len(bounds) else len(seeds)
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for i in order[start:stop]:
            image = Image.fromarray(_draw(seeds[i], drawn[i], canvas_size, out_size), "RGB")
            if task == "multilabel":
                filename = f"toon_{i:05d}.png"
                image.save(folder / filename)
                rows.append([filename, *target[i]])
            else:
                (folder / target[i]).mkdir(exist_ok=True)
                image.save(folder / target[i] / f"{target[i]}_{i:05d}.png")
        if task == "multilabel":
            with open(folder / "ground_truth.csv", "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["filename", *MULTILABEL_NAMES])
                writer.writerows(sorted(rows))
    return root
