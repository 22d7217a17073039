"""Path mode at scale: fit and predict from files on disk, against plain Keras.

Writes ``max(--sizes)`` small PNG files (make_toons images, ``--image-size`` pixels, two
classes) to a temporary folder, each size taking the first N of them, and measures, each
configuration in a fresh process so that its peak RSS (``ru_maxrss``: the interpreter,
TensorFlow and everything the run held) is its own:

- ``fit``: ``CNNClassifier(...).fit(paths, y)``, a small CNN at the files' own size (so
  neither side resizes), ``--epochs`` epochs, no validation split and no early stopping,
  against plain Keras: the same architecture (``keras.models.clone_model`` of the
  estimator's untrained ``model_``), compiled the same way (Adam, binary cross-entropy,
  accuracy), fed by a plain ``tf.data`` pipeline over the same files (``from_tensor_slices``
  -> shuffle -> ``tf.io.read_file`` -> ``tf.io.decode_png`` -> cast -> batch -> prefetch);
  the model scales the pixels itself on both sides. Images per second of the first epoch
  (graph tracing included) and of the later ones, timed by a callback, and the ratio
  ours / plain (goal >= 0.9);
- ``predict``: ``predict_proba(paths)`` of the fitted estimator against ``model.predict``
  of the same Keras model on the plain pipeline, the first call and the median of two
  more;
- ``cache``: a TransferClassifier on EfficientNet-Lite0 (ImageNet weights from its pip
  package, 224 px) with ``memory=`` a feature cache folder, fitted on ``--cache-fit``
  other files; ``predict_proba`` of ``--cache-count`` distinct files cold (the backbone
  runs and fills the cache) and warm, then warm over every size. The files repeat every
  ``--cache-count`` images (file i holds image i mod count), so the cache holds every
  size after the cold run; the CNN's work does not depend on it.

Each fit and predict runs ``--repeat`` times per side, ours and plain taking turns, and
the medians are printed (on a 2-core machine one run's ratio can be off by a third).
Process start and imports are outside every timing; the files are in the page cache
(just written) for both sides. The last lines give the growth of peak RSS from the
smallest to the largest size, and what the paths and labels alone take.

    python benchmarks/bench_scale.py [--quick] [--sizes 10000 50000] [--epochs 2]
                                     [--batch-size 32] [--repeat 3] [--cache-count 2000]
                                     [--cache-fit 128]

``--quick`` measures 2,000 and 10,000 files and the cache on 200 (about 5 minutes on
2 cores; the full run takes about half an hour); ``--sizes`` and ``--cache-count``
still override either mode's, and ``--cache-count 0`` leaves the TransferClassifier out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 2**20
FILTERS = (16, 32)  # two conv blocks, one convolution each: a small CNN for 32x32 images


# ------------------------------------------------------------------ in the child processes
def distinct_images(args) -> int:
    """How many distinct images the files cycle through: the cache benchmark's count."""
    count = min(args.cache_count, *args.sizes)
    return count if count > 0 else 1000


def read_paths(folder: Path, n: int, name: str = "paths.txt") -> tuple[list[str], list[str]]:
    """The first ``n`` files written, and their labels (the folder above each file's)."""
    with open(folder / name) as lines:
        paths = [line.rstrip("\n") for _, line in zip(range(n), lines, strict=False)]
    return paths, [Path(p).parent.parent.name for p in paths]


def make_files(args, folder: Path) -> dict:
    """Write the PNG files (each distinct image encoded once) and list them."""
    import io

    from PIL import Image

    from toonsklearn.datasets import make_toons

    def encoded(n, seed):
        X, y = make_toons(n, image_size=args.image_size, random_state=seed)
        blobs = []
        for image in X:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG")
            blobs.append(buffer.getvalue())
        return blobs, list(y)

    start = time.perf_counter()
    distinct = distinct_images(args)
    images = encoded(distinct, 0)
    drawn = time.perf_counter() - start
    total = 0
    for name, sub, count, (blobs, labels) in (
        ("paths.txt", "files", max(args.sizes), images),
        ("fit_paths.txt", "cache_fit", args.cache_fit, encoded(args.cache_fit, 1)),
    ):
        paths = []
        for i in range(count):
            path = folder / sub / labels[i % len(blobs)] / f"{i // 1000:03d}" / f"{i:06d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blobs[i % len(blobs)])
            total += len(blobs[i % len(blobs)])
            paths.append(str(path))
        (folder / name).write_text("\n".join(paths) + "\n")
    return {"seconds": time.perf_counter() - start, "drawn": drawn, "distinct": distinct,
            "mib": total / MIB}


def epoch_timer():
    """A Keras callback that records how long each epoch takes."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def cnn(args):
    from toonsklearn import CNNClassifier

    return CNNClassifier(filters=FILTERS, convs_per_block=1, input_size=(args.image_size,) * 2,
                         epochs=args.epochs, batch_size=args.batch_size,
                         validation_fraction=0.0, early_stopping=None)


def plain_dataset(args, paths, y=None):
    """Batches of the decoded files, as one would write them with tf.data alone."""
    import tensorflow as tf

    side = args.image_size

    def decode(path):
        image = tf.io.decode_png(tf.io.read_file(path), channels=3)
        return tf.cast(tf.ensure_shape(image, (side, side, 3)), tf.float32)

    if y is None:
        ds = tf.data.Dataset.from_tensor_slices(paths).map(decode,
                                                           num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = tf.data.Dataset.from_tensor_slices((paths, y)).shuffle(len(paths))
        ds = ds.map(lambda path, label: (decode(path), label),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(args.batch_size).prefetch(tf.data.AUTOTUNE)


def timed(func):
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def run_child(args) -> dict:
    """One measured configuration; returns what the parent prints."""
    folder = Path(args.folder)
    if args.child == "make":
        return make_files(args, folder)

    import numpy as np

    from toonsklearn.io import load, save

    paths, labels = read_paths(folder, args.n)
    out = {"paths_mib": (np.asarray(paths).nbytes + np.asarray(labels).nbytes) / MIB}
    model_file = folder / "cnn.tsk"
    if args.child == "fit-ours":
        timer = epoch_timer()
        est = cnn(args).set_params(callbacks=[timer])
        out["seconds"], est = timed(lambda: est.fit(np.asarray(paths), labels))
        out["epochs"] = timer.seconds
        if not model_file.exists():
            est.set_params(callbacks=None)
            save(est, model_file)
    elif args.child == "fit-plain":
        import keras

        est = cnn(args).initialize(np.asarray(paths[:64]), labels[:64])  # the architecture
        model = keras.models.clone_model(est.model_)
        model.compile(optimizer=keras.optimizers.Adam(est.learning_rate),
                      loss="binary_crossentropy", metrics=["accuracy"])
        y = (np.asarray(labels) == est.classes_[1]).astype(np.float32)[:, None]
        timer = epoch_timer()
        out["seconds"], _ = timed(lambda: model.fit(plain_dataset(args, paths, y),
                                                    epochs=args.epochs, callbacks=[timer],
                                                    verbose=0))
        out["epochs"] = timer.seconds
    elif args.child in ("predict-ours", "predict-plain"):
        est = load(model_file)
        if args.child == "predict-ours":
            def predict():
                return est.predict_proba(np.asarray(paths))
        else:
            def predict():
                return est.model_.predict(plain_dataset(args, paths), verbose=0)
        out["calls"] = [timed(predict)[0] for _ in range(3)]
    elif args.child == "cache-fit":
        from toonsklearn import TransferClassifier

        fit_paths, fit_labels = read_paths(folder, args.cache_fit, "fit_paths.txt")
        est = TransferClassifier(memory=str(folder / "cache"), epochs=1,
                                 batch_size=args.batch_size, validation_fraction=0.0,
                                 early_stopping=None)
        out["seconds"], _ = timed(lambda: est.fit(np.asarray(fit_paths), fit_labels))
        save(est, folder / "transfer.tsk")
    elif args.child == "cache-predict":
        est = load(folder / "transfer.tsk")
        out["seconds"], _ = timed(lambda: est.predict_proba(np.asarray(paths)))
    out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MIB  # KiB
    return out


# -------------------------------------------------------------------------- the parent
def child(phase: str, folder: str, n: int = 0) -> dict:
    """Run ``phase`` on the first ``n`` files in a fresh interpreter; its JSON result."""
    command = [sys.executable, __file__, *sys.argv[1:], "--child", phase, "--folder", folder,
               "--n", str(n)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{phase} on {n} files failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def repeated(phase: str, folder: str, n: int, repeat: int) -> tuple[dict, dict]:
    """``phase`` (fit or predict) ``repeat`` times, ours and plain Keras taking turns, each
    in a fresh process: the median of each timing, the largest peak RSS."""
    runs = {"ours": [], "plain": []}
    for _ in range(repeat):
        for side in runs:
            runs[side].append(child(f"{phase}-{side}", folder, n))
    return tuple(median_run(runs[side]) for side in ("ours", "plain"))


def median_run(results: list[dict]) -> dict:
    merged = {}
    for key, value in results[0].items():
        values = [result[key] for result in results]
        if key == "rss":
            merged[key] = max(values)
        elif isinstance(value, list):
            merged[key] = [statistics.median(column) for column in zip(*values, strict=True)]
        else:
            merged[key] = statistics.median(values)
    return merged


def row(size, phase, seconds, images, plain_seconds=None, rss=None, plain_rss=None):
    rate = images / seconds
    plain = f"{images / plain_seconds:9.0f}" if plain_seconds else f"{'':>9s}"
    ratio = f"{plain_seconds / seconds:6.2f}" if plain_seconds else f"{'':>6s}"
    rss_text = f"{rss:8.0f}" if rss is not None else f"{'':>8s}"
    plain_rss_text = f"{plain_rss:8.0f}" if plain_rss is not None else f"{'':>8s}"
    print(f"{size:>7,} {phase:24s} {seconds:8.2f} {rate:9.0f} {plain} {ratio} {rss_text}"
          f" {plain_rss_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="sizes 2000 10000 and --cache-count 200, unless given")
    parser.add_argument("--sizes", type=int, nargs="+",
                        help="numbers of files (default 10000 50000; 2000 10000 with --quick)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh processes per side for each fit and predict timing "
                             "(medians are printed)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--cache-count", type=int,
                        help="distinct files the cache benchmark runs the backbone on "
                             "(default 2000; 200 with --quick)")
    parser.add_argument("--cache-fit", type=int, default=128,
                        help="files the TransferClassifier is fitted on")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sizes is None:
        args.sizes = [2_000, 10_000] if args.quick else [10_000, 50_000]
    if args.cache_count is None:
        args.cache_count = 200 if args.quick else 2000
    if args.child:
        print(json.dumps(run_child(args)))
        return

    sys.stdout.reconfigure(line_buffering=True)  # each row as soon as it is measured
    print(f"mode: {'quick' if args.quick else 'full'}; sizes {args.sizes}, {args.repeat} "
          f"processes a side, cache count {args.cache_count}")
    sizes = sorted(set(args.sizes))
    cache_count = distinct_images(args) if args.cache_count > 0 else 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        made = child("make", folder)
        print(f"{max(sizes):,} PNG files of {args.image_size}x{args.image_size} (2 classes, "
              f"{made['distinct']:,} distinct images, {made['mib']:.1f} MiB) written in "
              f"{made['seconds']:.1f} s ({made['drawn']:.1f} s drawing); "
              f"{os.cpu_count()} cores")
        print(f"CNNClassifier(filters={FILTERS}, convs_per_block=1), batch_size="
              f"{args.batch_size}, {args.epochs} epochs; images/s and RSS: ours, then plain "
              "Keras; ratio = ours / plain")
        print(f"{'files':>7s} {'phase':24s} {'seconds':>8s} {'images/s':>9s} {'plain/s':>9s} "
              f"{'ratio':>6s} {'RSS MiB':>8s} {'plain':>8s}")
        rss: dict[str, dict[int, float]] = {}
        paths_mib = {}
        for n in sizes:
            ours, plain = repeated("fit", folder, n, args.repeat)
            paths_mib[n] = ours["paths_mib"]
            rss.setdefault("fit, ours", {})[n] = ours["rss"]
            rss.setdefault("fit, plain Keras", {})[n] = plain["rss"]
            row(n, "fit, epoch 1", ours["epochs"][0], n, plain["epochs"][0],
                ours["rss"], plain["rss"])
            if args.epochs > 1:
                later = "epoch 2" if args.epochs == 2 else f"epochs 2-{args.epochs}"
                row(n, f"fit, {later}", sum(ours["epochs"][1:]),
                    n * (args.epochs - 1), sum(plain["epochs"][1:]), ours["rss"], plain["rss"])
            row(n, "fit, whole call", ours["seconds"], n * args.epochs, plain["seconds"],
                ours["rss"], plain["rss"])
            ours, plain = repeated("predict", folder, n, args.repeat)
            rss.setdefault("predict, ours", {})[n] = ours["rss"]
            rss.setdefault("predict, plain Keras", {})[n] = plain["rss"]
            row(n, "predict, 1st call", ours["calls"][0], n, plain["calls"][0], ours["rss"],
                plain["rss"])
            later = statistics.median(ours["calls"][1:]), statistics.median(plain["calls"][1:])
            row(n, "predict, later calls", later[0], n, later[1], ours["rss"], plain["rss"])

        if cache_count:
            print(f"\nTransferClassifier('efficientnet_lite0', 224 px, memory=<folder>), "
                  f"fitted on {args.cache_fit} other files; cold = the backbone runs on "
                  f"{cache_count:,} distinct files; warm = every feature read from the cache")
            fitted = child("cache-fit", folder)
            row(args.cache_fit, "cache: fit (fills it)", fitted["seconds"], args.cache_fit,
                rss=fitted["rss"])
            cold = child("cache-predict", folder, cache_count)
            row(cache_count, "cache: predict cold", cold["seconds"], cache_count,
                rss=cold["rss"])
            warm = child("cache-predict", folder, cache_count)
            row(cache_count, "cache: predict warm", warm["seconds"], cache_count,
                rss=warm["rss"])
            print(f"{'':7s} {'warm / cold images/s':24s} {cold['seconds'] / warm['seconds']:8.1f}")
            for n in sizes:
                warm = child("cache-predict", folder, n)
                rss.setdefault("predict, warm cache", {})[n] = warm["rss"]
                row(n, "cache: predict warm", warm["seconds"], n, rss=warm["rss"])

    small, large = sizes[0], sizes[-1]
    print(f"\npeak RSS growth from {small:,} to {large:,} files (the paths and labels alone, "
          f"as NumPy arrays: {paths_mib[small]:.1f} -> {paths_mib[large]:.1f} MiB):")
    for name, by_size in rss.items():
        growth = by_size[large] - by_size[small]
        print(f"  {name:24s} {by_size[small]:7.0f} -> {by_size[large]:7.0f} MiB   "
              f"{growth:+7.0f} MiB   {growth * 1024 / (large - small):+6.1f} KiB a file")
    print(f"total wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
