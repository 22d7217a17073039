import numpy as np
import pytest
from PIL import Image

from toonsklearn.datasets import make_toons


def write_image(path, array, **save_kwargs):
    """Write ``array`` (h, w, c) or (h, w) as an image file; return the path as str."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array)).save(path, **save_kwargs)
    return str(path)


def solid(height, width, colour=(200, 30, 30)):
    return np.broadcast_to(np.array(colour, dtype=np.uint8), (height, width, 3)).copy()


@pytest.fixture(scope="session")
def toon_tree(tmp_path_factory):
    """A small binary make_toons folder tree, written once per test session."""
    return make_toons(60, image_size=16, random_state=0, directory=tmp_path_factory.mktemp("toons"))


@pytest.fixture(scope="session")
def multilabel_tree(tmp_path_factory):
    return make_toons(
        40,
        task="multilabel",
        image_size=16,
        random_state=0,
        directory=tmp_path_factory.mktemp("toons_multilabel"),
    )
