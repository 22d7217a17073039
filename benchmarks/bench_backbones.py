"""Backbone forward throughput at 224x224 (images/s), measured in one run.

efficientnet_lite0 (pretrained, from the pip package) against keras.applications'
MobileNetV2 and EfficientNetB0 with random weights (same cost as pretrained ones).
Usage: python benchmarks/bench_backbones.py [N]   (default N=256)
"""

import os
import sys
import time

import numpy as np


def throughput(model, images, batch_size=32) -> float:
    model.predict(images[:batch_size], batch_size=batch_size, verbose=0)  # build and trace
    start = time.perf_counter()
    model.predict(images, batch_size=batch_size, verbose=0)
    return len(images) / (time.perf_counter() - start)


def main(n: int = 256) -> None:
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
    print(f"{n} images 224x224, batch 32, {os.cpu_count()} cores")
    for name, rate in rates.items():
        print(f"{name:34s} {rate:7.1f} images/s   efficientnet_lite0 / this {lite / rate:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 256)
