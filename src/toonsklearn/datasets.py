"""Built-in cartoon data that needs no network: ``make_toons`` draws characters with Pillow.

Characters differ by *shape* (ears, tail, snout, beak, body), never by a fixed
colour: palettes, backgrounds, clutter, position, scale, rotation and occlusion
are drawn at random for every image, so a model has to learn shapes. Two more
tasks widen the set: ``"vehicles"`` sets four vehicles against the seven animals,
and ``"characters"`` is a cast of up to 210 named characters, each a species in
its own colour with its own accessory, for few-shot learning.
"""

from __future__ import annotations

import colorsys
import csv
import os
from collections.abc import Callable
from numbers import Integral
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

__all__ = ["CAST", "CHARACTERS", "MULTILABEL_NAMES", "VEHICLES", "make_toons"]

Point = tuple[float, float]


class _Pen:
    """Draws in unit coordinates on a square RGBA layer, with one outline colour and width."""

    def __init__(self, layer: Image.Image, outline: tuple, width: float):
        self.draw = ImageDraw.Draw(layer)
        self.size = layer.width
        self.outline = outline
        self.width = max(1, round(width * self.size))

    def _xy(self, points: list[Point]) -> list[tuple[float, float]]:
        return [(x * self.size, y * self.size) for x, y in points]

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: tuple) -> None:
        box = self._xy([(cx - rx, cy - ry), (cx + rx, cy + ry)])
        self.draw.ellipse(box, fill=fill, outline=self.outline, width=self.width)

    def polygon(self, points: list[Point], fill: tuple) -> None:
        self.draw.polygon(self._xy(points), fill=fill, outline=self.outline, width=self.width)

    def line(self, points: list[Point], width: float, fill: tuple | None = None) -> None:
        pixels = max(1, round(width * self.size))
        self.draw.line(self._xy(points), fill=fill or self.outline, width=pixels, joint="curve")

    def stroke(self, points: list[Point], width: float, fill: tuple) -> None:
        """A thick line with an outline, for tails."""
        self.line(points, width + 2 * self.width / self.size)
        self.line(points, width, fill)

    def eyes(self, left: Point, right: Point, radius: float) -> None:
        for cx, cy in (left, right):
            self.ellipse(cx, cy, radius, radius * 1.2, (255, 255, 255, 255))
            self.draw.ellipse(
                self._xy(
                    [(cx - radius / 2.2, cy - radius / 2), (cx + radius / 2.2, cy + radius / 1.5)]
                ),
                fill=(0, 0, 0, 255),
            )


def _tom(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Cat: pointed ears, long thick tail curling up, whiskers."""
    pen.stroke([(0.6, 0.8), (0.78, 0.76), (0.86, 0.58), (0.8, 0.4), (0.86, 0.3)], 0.04, body)
    pen.ellipse(0.5, 0.7, 0.16, 0.2, body)
    pen.ellipse(0.5, 0.73, 0.09, 0.12, belly)
    pen.polygon([(0.35, 0.32), (0.32, 0.08), (0.48, 0.24)], body)
    pen.polygon([(0.65, 0.32), (0.68, 0.08), (0.52, 0.24)], body)
    pen.ellipse(0.5, 0.37, 0.18, 0.15, body)
    pen.eyes((0.43, 0.33), (0.57, 0.33), 0.035)
    pen.polygon([(0.47, 0.41), (0.53, 0.41), (0.5, 0.44)], accent)
    for dy in (-0.02, 0.01, 0.04):
        pen.line([(0.44, 0.43), (0.26, 0.43 + dy * 2)], 0.008)
        pen.line([(0.56, 0.43), (0.74, 0.43 + dy * 2)], 0.008)


def _jerry(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Mouse: big round ears, thin wavy tail, pointed nose."""
    pen.line([(0.6, 0.82), (0.74, 0.9), (0.84, 0.8), (0.93, 0.88)], 0.012)
    pen.ellipse(0.31, 0.22, 0.12, 0.12, body)
    pen.ellipse(0.69, 0.22, 0.12, 0.12, body)
    pen.ellipse(0.31, 0.22, 0.07, 0.07, belly)
    pen.ellipse(0.69, 0.22, 0.07, 0.07, belly)
    pen.ellipse(0.5, 0.7, 0.13, 0.17, body)
    pen.ellipse(0.5, 0.38, 0.15, 0.14, body)
    pen.polygon([(0.42, 0.42), (0.58, 0.42), (0.5, 0.54)], body)
    pen.eyes((0.44, 0.34), (0.56, 0.34), 0.03)
    pen.ellipse(0.5, 0.53, 0.025, 0.02, accent)


def _spike(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Dog: floppy ears hanging beside the head, big snout, stubby tail."""
    pen.stroke([(0.64, 0.72), (0.76, 0.6)], 0.05, body)
    pen.ellipse(0.5, 0.7, 0.17, 0.19, body)
    pen.ellipse(0.5, 0.36, 0.17, 0.16, body)
    pen.ellipse(0.3, 0.42, 0.06, 0.15, accent)
    pen.ellipse(0.7, 0.42, 0.06, 0.15, accent)
    pen.ellipse(0.5, 0.45, 0.1, 0.07, belly)
    pen.ellipse(0.5, 0.41, 0.035, 0.025, (0, 0, 0, 255))
    pen.eyes((0.43, 0.3), (0.57, 0.3), 0.03)


def _bunny(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Rabbit: two long upright ears, puff tail, buck teeth."""
    pen.ellipse(0.67, 0.8, 0.06, 0.06, belly)
    pen.ellipse(0.42, 0.16, 0.045, 0.15, body)
    pen.ellipse(0.58, 0.16, 0.045, 0.15, body)
    pen.ellipse(0.42, 0.17, 0.02, 0.1, accent)
    pen.ellipse(0.58, 0.17, 0.02, 0.1, accent)
    pen.ellipse(0.5, 0.7, 0.15, 0.19, body)
    pen.ellipse(0.5, 0.4, 0.14, 0.13, body)
    pen.polygon([(0.47, 0.46), (0.53, 0.46), (0.53, 0.51), (0.47, 0.51)], (255, 255, 255, 255))
    pen.eyes((0.44, 0.36), (0.56, 0.36), 0.03)


def _duck(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Duck: no ears, a flat beak pointing sideways, a wing, webbed feet."""
    pen.polygon([(0.42, 0.84), (0.34, 0.92), (0.48, 0.92)], accent)
    pen.polygon([(0.58, 0.84), (0.52, 0.92), (0.66, 0.92)], accent)
    pen.ellipse(0.54, 0.7, 0.22, 0.15, body)
    pen.ellipse(0.6, 0.67, 0.12, 0.07, belly)
    pen.ellipse(0.42, 0.4, 0.14, 0.13, body)
    pen.ellipse(0.24, 0.44, 0.1, 0.035, accent)
    pen.eyes((0.38, 0.36), (0.47, 0.36), 0.025)


def _bear(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Bear: small round ears on top, a big round body, a muzzle, no tail."""
    pen.ellipse(0.36, 0.24, 0.06, 0.06, body)
    pen.ellipse(0.64, 0.24, 0.06, 0.06, body)
    pen.ellipse(0.5, 0.7, 0.21, 0.21, body)
    pen.ellipse(0.5, 0.72, 0.12, 0.13, belly)
    pen.ellipse(0.5, 0.38, 0.17, 0.15, body)
    pen.ellipse(0.5, 0.44, 0.07, 0.05, belly)
    pen.ellipse(0.5, 0.42, 0.025, 0.018, accent)
    pen.eyes((0.44, 0.34), (0.56, 0.34), 0.025)


def _frog(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Frog: bulging eyes on top of a wide head, wide mouth, folded legs."""
    pen.ellipse(0.29, 0.8, 0.11, 0.05, body)
    pen.ellipse(0.71, 0.8, 0.11, 0.05, body)
    pen.ellipse(0.5, 0.68, 0.2, 0.15, body)
    pen.ellipse(0.5, 0.7, 0.12, 0.09, belly)
    pen.ellipse(0.36, 0.32, 0.08, 0.08, body)
    pen.ellipse(0.64, 0.32, 0.08, 0.08, body)
    pen.ellipse(0.5, 0.46, 0.23, 0.12, body)
    pen.eyes((0.36, 0.31), (0.64, 0.31), 0.04)
    pen.line([(0.36, 0.5), (0.5, 0.53), (0.64, 0.5)], 0.012, accent)


def _car(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Car: a low body with a cabin on top, two windows, two wheels."""
    pen.polygon([(0.32, 0.5), (0.4, 0.36), (0.62, 0.36), (0.7, 0.5)], body)
    pen.polygon([(0.38, 0.49), (0.43, 0.4), (0.5, 0.4), (0.5, 0.49)], belly)
    pen.polygon([(0.53, 0.49), (0.53, 0.4), (0.6, 0.4), (0.65, 0.49)], belly)
    pen.polygon([(0.14, 0.5), (0.86, 0.5), (0.88, 0.66), (0.12, 0.66)], body)
    pen.ellipse(0.28, 0.68, 0.08, 0.08, (30, 30, 30, 255))
    pen.ellipse(0.72, 0.68, 0.08, 0.08, (30, 30, 30, 255))
    pen.ellipse(0.28, 0.68, 0.035, 0.035, accent)
    pen.ellipse(0.72, 0.68, 0.035, 0.035, accent)


def _bus(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Bus: a long tall box with a row of windows, a door, two wheels."""
    pen.polygon([(0.06, 0.3), (0.94, 0.3), (0.94, 0.7), (0.06, 0.7)], body)
    for x in (0.1, 0.28, 0.46, 0.64):
        pen.polygon([(x, 0.36), (x + 0.14, 0.36), (x + 0.14, 0.48), (x, 0.48)], belly)
    pen.polygon([(0.8, 0.36), (0.9, 0.36), (0.9, 0.66), (0.8, 0.66)], accent)
    pen.ellipse(0.24, 0.72, 0.07, 0.07, (30, 30, 30, 255))
    pen.ellipse(0.72, 0.72, 0.07, 0.07, (30, 30, 30, 255))


def _plane(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Plane: a long fuselage, swept wings, a tail fin, round windows."""
    pen.polygon([(0.46, 0.5), (0.6, 0.5), (0.42, 0.84), (0.34, 0.84)], accent)
    pen.polygon([(0.12, 0.46), (0.2, 0.46), (0.14, 0.26), (0.08, 0.26)], accent)
    pen.ellipse(0.5, 0.48, 0.4, 0.08, body)
    pen.polygon([(0.46, 0.46), (0.6, 0.46), (0.44, 0.16), (0.36, 0.16)], accent)
    for x in (0.56, 0.64, 0.72):
        pen.ellipse(x, 0.47, 0.02, 0.02, belly)
    pen.ellipse(0.84, 0.47, 0.04, 0.03, belly)


def _boat(pen: _Pen, body: tuple, belly: tuple, accent: tuple) -> None:
    """Sailing boat: a hull wider at the top, a mast, a triangular sail, waves."""
    pen.line([(0.5, 0.66), (0.5, 0.12)], 0.02)
    pen.polygon([(0.53, 0.14), (0.53, 0.6), (0.84, 0.6)], belly)
    pen.polygon([(0.47, 0.22), (0.47, 0.6), (0.24, 0.6)], accent)
    pen.polygon([(0.1, 0.64), (0.9, 0.64), (0.76, 0.8), (0.24, 0.8)], body)
    pen.line([(0.06, 0.86), (0.2, 0.82), (0.34, 0.86), (0.48, 0.82), (0.62, 0.86),
              (0.76, 0.82), (0.94, 0.86)], 0.015, accent)


#: The characters :func:`~toonsklearn.datasets.make_toons` draws, each name mapped to its
#: drawing function, in the order ``n_classes`` takes them (binary uses the first two).
CHARACTERS: dict[str, Callable] = {
    "tom": _tom,
    "jerry": _jerry,
    "spike": _spike,
    "bunny": _bunny,
    "duck": _duck,
    "bear": _bear,
    "frog": _frog,
}
#: The labels of ``make_toons(task="multilabel")``, in the column order of its indicator
#: matrix (and of the ``ground_truth.csv`` files it writes).
MULTILABEL_NAMES = ("tom", "jerry")
#: The vehicles of ``make_toons(task="vehicles")``, each name mapped to its drawing
#: function; that task labels them ``"vehicle"`` and the
#: :data:`~toonsklearn.datasets.CHARACTERS` ``"animal"``.
VEHICLES: dict[str, Callable] = {"car": _car, "bus": _bus, "plane": _plane, "boat": _boat}

# Where each species' head is, in unit coordinates (centre x, centre y, radius), so an
# accessory sits on it.
_HEADS = {
    "tom": (0.5, 0.37, 0.18), "jerry": (0.5, 0.38, 0.15), "spike": (0.5, 0.36, 0.17),
    "bunny": (0.5, 0.4, 0.14), "duck": (0.42, 0.4, 0.14), "bear": (0.5, 0.38, 0.17),
    "frog": (0.5, 0.42, 0.2),
}
# Body hues of the cast, as fractions of the colour wheel.
_HUES = {"red": 0.0, "orange": 0.08, "yellow": 0.15, "green": 0.33, "blue": 0.6,
         "purple": 0.78}


def _hat(pen: _Pen, cx: float, cy: float, r: float, colour: tuple) -> None:
    pen.polygon([(cx - 0.9 * r, cy - 0.75 * r), (cx + 0.9 * r, cy - 0.75 * r),
                 (cx + 0.9 * r, cy - 0.6 * r), (cx - 0.9 * r, cy - 0.6 * r)], colour)
    pen.polygon([(cx - 0.5 * r, cy - 1.6 * r), (cx + 0.5 * r, cy - 1.6 * r),
                 (cx + 0.5 * r, cy - 0.75 * r), (cx - 0.5 * r, cy - 0.75 * r)], colour)


def _bow(pen: _Pen, cx: float, cy: float, r: float, colour: tuple) -> None:
    y = cy + 1.05 * r
    pen.polygon([(cx, y), (cx - 0.55 * r, y - 0.3 * r), (cx - 0.55 * r, y + 0.3 * r)], colour)
    pen.polygon([(cx, y), (cx + 0.55 * r, y - 0.3 * r), (cx + 0.55 * r, y + 0.3 * r)], colour)
    pen.ellipse(cx, y, 0.12 * r, 0.12 * r, colour)


def _glasses(pen: _Pen, cx: float, cy: float, r: float, colour: tuple) -> None:
    for side in (-1, 1):
        x, y, radius = cx + side * 0.4 * r, cy - 0.25 * r, 0.3 * r
        pen.draw.ellipse(pen._xy([(x - radius, y - radius), (x + radius, y + radius)]),
                         outline=colour, width=max(1, round(0.02 * pen.size)))
    pen.line([(cx - 0.1 * r, cy - 0.25 * r), (cx + 0.1 * r, cy - 0.25 * r)], 0.015, colour)


def _scarf(pen: _Pen, cx: float, cy: float, r: float, colour: tuple) -> None:
    y = cy + 0.95 * r
    pen.polygon([(cx - 0.85 * r, y - 0.15 * r), (cx + 0.85 * r, y - 0.15 * r),
                 (cx + 0.85 * r, y + 0.2 * r), (cx - 0.85 * r, y + 0.2 * r)], colour)
    pen.polygon([(cx + 0.3 * r, y), (cx + 0.65 * r, y), (cx + 0.7 * r, y + 1.1 * r),
                 (cx + 0.4 * r, y + 1.1 * r)], colour)


_ACCESSORIES: dict[str, Callable | None] = {
    "plain": None, "hat": _hat, "bow": _bow, "glasses": _glasses, "scarf": _scarf,
}


def _cast() -> tuple[str, ...]:
    """Every (species, accessory, colour) once, ordered so that any first ``n`` are as
    varied as can be: species change every name, accessories every 7, colours cycle."""
    species, accessories, colours = list(CHARACTERS), list(_ACCESSORIES), list(_HUES)
    names = []
    for k in range(len(species) * len(accessories) * len(colours)):
        s, a = k % len(species), (k // len(species)) % len(accessories)
        c = (k // (len(species) * len(accessories)) + a + s) % len(colours)
        names.append(f"{colours[c]}_{species[s]}_{accessories[a]}")
    return tuple(names)


#: The named characters of ``make_toons(task="characters")``, in the order ``n_classes``
#: takes them: ``"<colour>_<species>_<accessory>"``, a species of
#: :data:`~toonsklearn.datasets.CHARACTERS` in a fixed body colour with a fixed accessory
#: (or ``"plain"``), so that characters of one species differ by colour and accessory.
CAST: tuple[str, ...] = _cast()
_SPLITS = (("train", 0.7), ("validation", 0.15), ("test", 0.15))


def _colour(rng: np.random.Generator, alpha: int = 255) -> tuple:
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.2, 1.0), rng.uniform(0.25, 1.0))
    return (round(r * 255), round(g * 255), round(b * 255), alpha)


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


def _character(rng: np.random.Generator, name: str, size: int) -> Image.Image:
    """One character on a transparent square layer, in a random pose and mirror.

    Animals and vehicles get a random palette; a member of :data:`CAST` keeps its body
    colour (its saturation and brightness vary) and wears its accessory.
    """
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    dark = rng.random() < 0.8
    outline = (*(rng.integers(0, 60, 3) if dark else rng.integers(180, 256, 3)), 255)
    pen = _Pen(layer, tuple(int(v) for v in outline), rng.uniform(0.012, 0.03))
    if name in CHARACTERS or name in VEHICLES:
        draw = CHARACTERS.get(name) or VEHICLES[name]
        draw(pen, _colour(rng), _colour(rng), _colour(rng))
    else:
        colour, species, accessory = name.split("_")
        r, g, b = colorsys.hsv_to_rgb(
            (_HUES[colour] + rng.uniform(-0.02, 0.02)) % 1.0,
            rng.uniform(0.65, 1.0), rng.uniform(0.6, 1.0),
        )
        body = (round(r * 255), round(g * 255), round(b * 255), 255)
        CHARACTERS[species](pen, body, _colour(rng), _colour(rng))
        if _ACCESSORIES[accessory] is not None:
            _ACCESSORIES[accessory](pen, *_HEADS[species], _colour(rng))
    if rng.random() < 0.5:
        layer = layer.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return layer.rotate(rng.uniform(-30, 30), Image.Resampling.BICUBIC)


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
        raise ValueError(f"n_samples must be a positive int; received n_samples={n_samples!r}.")
    tasks = ("binary", "multiclass", "multilabel", "vehicles", "characters")
    if task not in tasks:
        raise ValueError(f"task must be one of {', '.join(map(repr, tasks))}; received "
                         f"task={task!r}.")
    if task in ("multiclass", "characters"):
        roster = list(CHARACTERS) if task == "multiclass" else list(CAST)
        n_classes = len(roster) if n_classes is None else n_classes
        if not isinstance(n_classes, Integral) or not 2 <= n_classes <= len(roster):
            raise ValueError(
                f"n_classes must be an int from 2 to {len(roster)} for task={task!r}; "
                f"received n_classes={n_classes!r}."
            )
    elif n_classes not in (None, 2):
        raise ValueError(f"task={task!r} has 2 classes; received n_classes={n_classes!r}.")
    out_size = (image_size, image_size) if isinstance(image_size, Integral) else tuple(image_size)
    if len(out_size) != 2 or not all(isinstance(s, Integral) and s > 0 for s in out_size):
        raise ValueError(
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
