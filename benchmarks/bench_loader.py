"""Loader throughput: ImageFolderLoader against a plain Pillow loop and Keras.

Writes 2,000 JPEG files of 500x375 (drawn by make_toons) to a temporary folder, then
decodes and resizes all of them to 128x128 with each method, in one run, and prints
images per second and the ratios.

Usage: python benchmarks/bench_loader.py [--quick] [N]   (default N=2000)

``--quick`` writes and decodes 500 files instead of 2,000: about a minute on 2 cores,
the full run about 3.5 (most of it drawing and writing the files).
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from toonsklearn import ImageFolderLoader, load_image_folder
from toonsklearn.datasets import make_toons

SIZE = (128, 128)


def write_jpegs(root: Path, n: int) -> None:
    X, y = make_toons(n, image_size=(375, 500), random_state=0)
    for i, (image, label) in enumerate(zip(X, y, strict=True)):
        (root / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / label / f"{i:05d}.jpg", quality=90)


def pillow_loop(paths):
    return np.stack(
        [
            np.asarray(Image.open(p).convert("RGB").resize(SIZE[::-1], Image.Resampling.BILINEAR))
            for p in paths
        ]
    )


def keras_dataset(root):
    import keras

    ds = keras.utils.image_dataset_from_directory(
        root, image_size=SIZE, batch_size=64, shuffle=False, verbose=False
    )
    return np.concatenate([images.numpy() for images, _ in ds])


def timed(func, *args):
    start = time.perf_counter()
    out = func(*args)
    return time.perf_counter() - start, out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", metavar="N", type=int, nargs="?", default=None,
                        help="JPEG files (default 2,000, 500 with --quick)")
    parser.add_argument("--quick", action="store_true", help="500 files")
    args = parser.parse_args(argv)
    n = args.n or (500 if args.quick else 2000)
    print(f"mode: {'quick' if args.quick else 'full'}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_jpegs(root, n)
        paths = load_image_folder(root).paths
        for p in paths:  # warm the page cache so every method reads from memory
            Path(p).read_bytes()
        results = {
            "ImageFolderLoader (threads)": timed(ImageFolderLoader(size=SIZE).transform, paths),
            "ImageFolderLoader (n_jobs=1)": timed(
                ImageFolderLoader(size=SIZE, n_jobs=1).transform, paths
            ),
            "Pillow loop, single thread": timed(pillow_loop, paths),
            "keras image_dataset_from_directory": timed(keras_dataset, str(root)),
        }
    ours = results["ImageFolderLoader (threads)"][0]
    print(f"{n} JPEGs 500x375 -> 128x128 on {os.cpu_count()} cores")
    for name, (seconds, images) in results.items():
        assert images.shape == (n, *SIZE, 3), images.shape
        print(f"{name:36s} {n / seconds:8.0f} images/s   ours is {seconds / ours:5.2f}x faster")


if __name__ == "__main__":
    main()
