"""What the Display tests share: figures closed after each test, a check that a figure
is not blank, and a CNN fitted once on named toons. Imports no matplotlib: the test of
what a user without it is told runs here too."""

import io
import sys

import numpy as np
import pytest

from toonsklearn import CNNClassifier
from toonsklearn.datasets import make_toons

SHARED = {"batch_size": 16, "random_state": 0}
TINY = {"filters": (4, 8), **SHARED}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")  # imported by the test, if it drew
    if pyplot is not None:
        pyplot.close("all")


def rendered(figure) -> np.ndarray:
    """The figure as an RGB array, as a PNG viewer shows it; asserts it is not blank."""
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    pixels = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    assert pixels.std() > 10, "the figure is blank"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20, "the figure is blank"
    return pixels


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def tick_names(ax, axis="x") -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


@pytest.fixture(scope="session")
def named_toons():
    return make_toons(96, image_size=16, random_state=0)  # labels "jerry" and "tom"


@pytest.fixture(scope="session")
def cnn(named_toons):
    X, y = named_toons
    return CNNClassifier(epochs=3, **TINY).fit(X, y)
