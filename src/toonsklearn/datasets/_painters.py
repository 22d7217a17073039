"""The cartoon painters of :func:`~toonsklearn.datasets.make_toons`: one character,
animal or vehicle drawn with Pillow on a transparent layer.

Characters differ by *shape* (ears, tail, snout, beak, body), never by a fixed colour:
each drawing gets a random palette, except the named characters of :data:`CAST`, whose
body colour and accessory are their identity.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["CAST", "CHARACTERS", "VEHICLES"]

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


# The public CHARACTERS (documented in the package's __init__).
CHARACTERS: dict[str, Callable] = {
    "tom": _tom,
    "jerry": _jerry,
    "spike": _spike,
    "bunny": _bunny,
    "duck": _duck,
    "bear": _bear,
    "frog": _frog,
}
# The public VEHICLES (documented in the package's __init__).
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


# The public CAST (documented in the package's __init__).
CAST: tuple[str, ...] = _cast()


def _colour(rng: np.random.Generator, alpha: int = 255) -> tuple:
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.2, 1.0), rng.uniform(0.25, 1.0))
    return (round(r * 255), round(g * 255), round(b * 255), alpha)


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
