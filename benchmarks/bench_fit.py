"""Estimator overheads, measured against plain Keras in one run.

1. CNNClassifier.fit over an identical plain-Keras model.fit (same architecture, data,
   epochs, batch size): goal <= 1.05.
2. Path-mode over array-mode training throughput (images/s).
3. Peak memory growth (VmHWM, reset after imports, in fresh processes) of a path-mode fit
   on N and 4N images, with array mode beside it: path mode should stay flat.
4. TransferClassifier with a frozen backbone (features computed once) over plain Keras
   training the same frozen model on images.

Usage: python benchmarks/bench_fit.py [--quick] [N]   (default N=1000)

``--quick`` trains on 300 images instead of 1,000 (peak memory on 300 and 1,200) and
takes the medians of 2 rounds of fits instead of 3: about 2 minutes on 2 cores, the
full run about 7.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

EPOCHS = 3


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def write_pngs(root: Path, X, y) -> np.ndarray:
    paths = []
    for i, (image, label) in enumerate(zip(X, y, strict=True)):
        path = root / label / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)
        paths.append(str(path))
    return np.asarray(paths)


def plain_keras_fit(template, X, y):
    """Build the same architecture, compile it the same way, and train it with model.fit."""
    import keras

    model = keras.models.clone_model(template.model_)
    model.compile(optimizer=keras.optimizers.Adam(template.learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    target = (y == template.classes_[1]).astype("float32")
    model.fit(X, target, batch_size=template.batch_size, epochs=EPOCHS, verbose=0)


def fit_overhead(X, y, repeats: int = 3) -> None:
    """Medians of alternating fits, after a warm-up round; both sides build their model."""
    from toonsklearn import CNNClassifier

    params = dict(epochs=EPOCHS, batch_size=32, early_stopping=None, validation_fraction=0.0)
    template = CNNClassifier(**params, random_state=0).initialize(X, y)
    times = {"ours": [], "seeded": [], "keras": []}
    for i in range(repeats + 1):
        round_times = {
            "ours": timed(lambda: CNNClassifier(**params).fit(X, y)),
            "seeded": timed(lambda: CNNClassifier(**params, random_state=0).fit(X, y)),
            "keras": timed(lambda: plain_keras_fit(template, X, y)),
        }
        if i:  # the first round warms up TensorFlow for all three
            for key, value in round_times.items():
                times[key].append(value)
    ours, seeded, keras_s = (float(np.median(times[k])) for k in ("ours", "seeded", "keras"))
    print(f"CNNClassifier.fit {ours:6.1f}s   plain Keras build+compile+fit {keras_s:6.1f}s   "
          f"ratio {ours / keras_s:.3f} (goal <= 1.05; medians of {repeats})")
    print(f"with random_state=0 (seeded, deterministic ops) {seeded:6.1f}s   "
          f"ratio {seeded / keras_s:.3f}")


def path_throughput(X, y, paths) -> None:
    from toonsklearn import CNNClassifier

    params = dict(epochs=EPOCHS, batch_size=32, early_stopping=None, validation_fraction=0.0,
                  random_state=0, input_size=X.shape[1:3])
    array_s = timed(lambda: CNNClassifier(**params).fit(X, y))
    path_s = timed(lambda: CNNClassifier(**params).fit(paths, y))
    n = len(X) * EPOCHS
    print(f"array mode {n / array_s:6.0f} images/s   path mode {n / path_s:6.0f} images/s   "
          f"path/array throughput {array_s / path_s:.3f}")


_MEMORY_CHILD = """
import json, sys
import numpy as np
import tensorflow  # imported before the peak is reset, like everything else fixed
from toonsklearn import CNNClassifier, ImageFolderLoader

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

paths, y = np.load(sys.argv[1]), np.load(sys.argv[2])
open("/proc/self/clear_refs", "w").write("5")  # Linux: restart the peak (VmHWM) from here
start = status("VmRSS")
X = paths if sys.argv[3] == "paths" else ImageFolderLoader(size=(128, 128)).transform(paths)
CNNClassifier(filters=(8, 16), epochs=1, early_stopping=None, validation_fraction=0.0,
              input_size=(128, 128), random_state=0).fit(X, y)
print(json.dumps(status("VmHWM") - start))
"""


def peak_memory(tmp: Path, n: int) -> None:
    """Peak RSS growth during decoding and fitting, in fresh processes."""
    from toonsklearn.datasets import make_toons

    X, y = make_toons(4 * n, image_size=128, random_state=1)
    paths = write_pngs(tmp / "mem", X, y)
    del X
    results = {}
    for count in (n, 4 * n):
        np.save(tmp / "p.npy", paths[:count])
        np.save(tmp / "y.npy", y[:count])
        for mode in ("paths", "array"):
            out = subprocess.run(
                [sys.executable, "-c", _MEMORY_CHILD, str(tmp / "p.npy"), str(tmp / "y.npy"),
                 mode],
                capture_output=True, text=True, check=True,
            )
            results[mode, count] = json.loads(out.stdout.strip().splitlines()[-1])
    for mode in ("paths", "array"):
        small, large = results[mode, n], results[mode, 4 * n]
        print(f"peak RSS growth during fit, {mode:5s} mode, 128x128: {n} images {small:6.0f} "
              f"MiB   {4 * n} images {large:6.0f} MiB   ratio {large / small:.2f}")


def features_once(X, y) -> None:
    import keras

    from toonsklearn import TransferClassifier

    params = dict(weights=None, input_size=(96, 96), epochs=EPOCHS, early_stopping=None,
                  validation_fraction=0.0, random_state=0)
    ours = timed(lambda: TransferClassifier("mobilenet_v2", **params).fit(X, y))
    clf = TransferClassifier("mobilenet_v2", **params).initialize(X, y)
    model = clf.model_
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    target = (y == clf.classes_[1]).astype("float32")
    resized = np.stack([np.asarray(Image.fromarray(x).resize((96, 96))) for x in X])
    theirs = timed(lambda: model.fit(resized, target, batch_size=32, epochs=EPOCHS, verbose=0))
    print(f"frozen mobilenet_v2 96x96, {EPOCHS} epochs: features once {ours:6.1f}s   "
          f"plain Keras on images {theirs:6.1f}s   speed-up {theirs / ours:.2f}x")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", metavar="N", type=int, nargs="?", default=None,
                        help="training images (default 1,000, 300 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="300 images, medians of 2 rounds")
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 1000)
    from toonsklearn.datasets import make_toons

    X, y = make_toons(n, image_size=64, random_state=0)
    print(f"mode: {'quick' if args.quick else 'full'}; N={n} toons, 64x64, {EPOCHS} epochs, "
          "batch 32", flush=True)
    fit_overhead(X, y, repeats=2 if args.quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_pngs(Path(tmp) / "png", X, y)
        path_throughput(X, y, paths)
        peak_memory(Path(tmp), n)
    features_once(X, y)


if __name__ == "__main__":
    main()
