"""Backbone forward throughput at 224x224 (images/s), measured in one run.

efficientnet_lite0 (pretrained, from the pip package) against keras.applications'
MobileNetV2 and EfficientNetB0 with random weights (same cost as pretrained ones),
each timed over N random images after one untimed batch that builds and traces it.

Usage: python benchmarks/bench_backbones.py [--quick] [N]   (default N=256)

``--quick`` times 64 images a model instead of 256: about 10 seconds on 2 cores, the
full run about 20.
"""

import argparse
import os
import time

import numpy as np


def throughput(model, images, batch_size=32) -> float:
    model.predict(images[:batch_size], batch_size=batch_size, verbose=0)  # build and trace
    start = time.perf_counter()
    model.predict(images, batch_size=batch_size, verbose=0)
    return len(images) / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", metavar="N", type=int, nargs="?", default=None,
                        help="images a model (default 256, 64 with --quick)")
    parser.add_argument("--quick", action="store_true", help="64 images a model")
    args = parser.parse_args(argv)
    n = args.n or (64 if args.quick else 256)
    print(f"mode: {'quick' if args.quick else 'full'}; {n} images 224x224, batch 32, "
          f"{os.cpu_count()} cores", flush=True)
    import keras

    from toonsklearn.backbones import get_backbone

    images = np.random.default_rng(0).uniform(-1, 1, (n, 224, 224, 3)).astype("float32")
    models = {
        "efficientnet_lite0 (toonsklearn)": get_backbone("efficientnet_lite0"),
        "MobileNetV2(weights=None)": keras.applications.MobileNetV2(
            weights=None, include_top=False, input_shape=(224, 224, 3)),
        "EfficientNetB0(weights=None)": keras.applications.EfficientNetB0(
            weights=None, include_top=False, input_shape=(224, 224, 3)),
    }
    rates = {name: throughput(model, images) for name, model in models.items()}
    lite = rates["efficientnet_lite0 (toonsklearn)"]
    for name, rate in rates.items():
        print(f"{name:34s} {rate:7.1f} images/s   efficientnet_lite0 / this {lite / rate:.2f}")


if __name__ == "__main__":
    main()
