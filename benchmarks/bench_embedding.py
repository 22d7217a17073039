"""Does ``ImageEmbedder`` embed as fast as plain Keras, and does its cache pay off?

On real drawings (the OpenMoji set, 64x64 RGB; CC BY-SA 4.0, (c) OpenMoji,
openmoji.org), with the default backbone (EfficientNet-Lite0, ImageNet weights, 224 px,
average-pooled), two comparisons measured in one run:

- throughput (images/s) of ``ImageEmbedder().transform(X)`` without a cache against
  plain Keras: ``model.predict`` of the identical network (``embedder.model_``: the
  backbone's preprocessing, the backbone, pooling) on the same images, as float32 and
  as the uint8 array itself, batch 32; each the median of several warm calls,
  interleaved. Goal: ours / the faster plain >= 0.95.
- with ``memory=`` an empty temporary folder: the first ``transform`` (cold: computes
  and stores every image, Keras' first-call tracing included, as a user's first call
  does) against the next ones of the same images (warm: reads them back; the median of
  several), on the decoded arrays and on the file paths (path mode: the PNG files,
  decoded and resized by the embedder). Goal: cold/warm >= 20.

The arrays are the drawings decoded and resized to 224x224 beforehand (PIL, bilinear),
so neither side resizes; the images are a seeded random subset of the set.

Usage: python benchmarks/bench_embedding.py [--data ../shared/data/openmoji64]
           [--quick] [--images N] [--repeats R]

The data is not part of the package. ``--quick`` (512 images, 3 repeats) takes about
a minute on 2 cores; the full run (all 1,914 images, 5 repeats) about 4 minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import pandas as pd
from PIL import Image


def load_drawings(root: str, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """File paths of ``n`` drawings (a seeded subset) and their pixels at ``size``."""
    table = pd.read_csv(os.path.join(root, "metadata.csv"))
    rows = np.sort(np.random.default_rng(0).permutation(len(table))[:n])  # n=None: all
    paths = np.array([os.path.join(root, p) for p in table["path"].iloc[rows]])
    pixels = np.stack([
        np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR))
        for p in paths])
    return paths, pixels


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def cache_speed(make_embedder, X, repeats: int) -> tuple[float, float, int]:
    """Seconds of the cold ``transform`` into an empty folder, the median warm one, and
    the side of the images the network saw."""
    with tempfile.TemporaryDirectory() as memory:
        embedder = make_embedder(memory).fit(X[:1])  # builds the network: not timed
        cold_features = []
        cold = timed(lambda: cold_features.append(embedder.transform(X)))
        warm = []
        for _ in range(repeats):
            warm.append(timed(lambda: np.testing.assert_array_equal(
                embedder.transform(X), cold_features[0])))
    return cold, statistics.median(warm), embedder.image_shape_[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/openmoji64")
    parser.add_argument("--quick", action="store_true",
                        help="fewer images and repeats (512, 3)")
    parser.add_argument("--images", type=int, default=None,
                        help="drawings to embed (default all 1,914, 512 with --quick)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="warm calls a median is taken over (default 5, 3 with --quick)")
    args = parser.parse_args(argv)
    n = args.images or (512 if args.quick else None)
    repeats = args.repeats or (3 if args.quick else 5)
    begin = time.perf_counter()

    from toonsklearn.backbones import get_backbone_spec
    from toonsklearn.embedding import ImageEmbedder

    size = get_backbone_spec("efficientnet_lite0").input_size[0]  # the default backbone's
    paths, X = load_drawings(args.data, n, size)
    n = len(X)
    embedder = ImageEmbedder(batch_size=32).fit(X)
    model = embedder.model_
    X_float = X.astype(np.float32)

    plain = {  # Keras' array path is erratic with float32 at some sizes: both, the faster
        "plain Keras model_.predict(float32)":
            lambda: model.predict(X_float, batch_size=32, verbose=0),
        "plain Keras model_.predict(uint8)": lambda: model.predict(X, batch_size=32, verbose=0),
    }

    def ours():
        return embedder.transform(X)

    for call in plain.values():  # the same features; also warms every call up
        np.testing.assert_allclose(ours(), call(), rtol=1e-4, atol=1e-4)
    seconds = {name: [] for name in [*plain, "ImageEmbedder.transform"]}
    for _ in range(repeats):
        for name, call in [*plain.items(), ("ImageEmbedder.transform", ours)]:
            seconds[name].append(timed(call))
    rates = {name: n / statistics.median(times) for name, times in seconds.items()}
    ours_rate = rates.pop("ImageEmbedder.transform")

    def make(memory):
        return ImageEmbedder(memory=memory, batch_size=32)

    rows = {"arrays (uint8 224x224)": cache_speed(make, X, repeats),
            "file paths (64x64 PNG)": cache_speed(make, paths, repeats)}

    mode = "quick" if args.quick else "full"
    print(f"mode: {mode}; {n} OpenMoji drawings, efficientnet_lite0 (ImageNet) at "
          f"{size}x{size}, batch 32, {os.cpu_count()} cores, median of {repeats} warm calls")
    print(f"\n{'throughput, no cache':38} {'images/s':>9}")
    for name, rate in rates.items():
        print(f"{name:38} {rate:9.1f}")
    print(f"{'ImageEmbedder.transform':38} {ours_rate:9.1f}")
    print(f"{'ours / faster plain (goal >= 0.95)':38} {ours_rate / max(rates.values()):9.3f}")
    print(f"\n{'memory= a temp folder':28} {'net px':>6} {'cold s':>9} {'warm s':>9}"
          f" {'cold/warm':>10} {'warm images/s':>14}")
    for name, (cold, warm, side) in rows.items():
        print(f"{name:28} {side:6} {cold:9.2f} {warm:9.3f} {cold / warm:10.1f}"
              f" {n / warm:14.0f}")
    print("(goal: cold/warm >= 20)")
    print(f"\nwhole run {time.perf_counter() - begin:.0f}s")


if __name__ == "__main__":
    main()
