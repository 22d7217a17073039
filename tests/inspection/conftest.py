"""Images the inspection tests share: toons written as files, and their copies."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import write_image
from toonsklearn.datasets import make_toons


@pytest.fixture(scope="module")
def toon_images():
    """Eight distinct 32x32 toons as a uint8 array."""
    X, _ = make_toons(8, image_size=32, random_state=0)
    X.flags.writeable = False  # a function that writes into its input fails loudly
    return X


def write_toons(folder, images, prefix="toon"):
    """Each image as a PNG in ``folder``; the paths, in order."""
    return [write_image(folder / f"{prefix}{i}.png", image) for i, image in enumerate(images)]


def near_copy(image, path, how):
    """Write a near copy of ``image`` to ``path``: "jpeg" recompressed, "resized" larger,
    "shifted" 2 pixels right and 1 down (its edges repeated), which perceptual hashes
    miss, "brighter" a little; return the path as str."""
    image = np.asarray(image)
    picture = Image.fromarray(image)
    if how == "jpeg":
        picture.save(path, quality=90)
    elif how == "resized":
        picture.resize((48, 48), Image.Resampling.BICUBIC).save(path)
    elif how == "shifted":
        height, width = image.shape[:2]
        padded = np.pad(image, ((4, 4), (4, 4), (0, 0)), mode="edge")
        Image.fromarray(padded[3:3 + height, 2:2 + width]).save(path)
    else:
        Image.fromarray(np.clip(np.asarray(image, int) + 12, 0, 255).astype(np.uint8)).save(path)
    return str(path)
