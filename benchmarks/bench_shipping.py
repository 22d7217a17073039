"""Predictions to ship: test-time augmentation, calibration, and exported files.

On the OpenMoji drawings (64x64 RGB; CC BY-SA 4.0, (c) OpenMoji, openmoji.org), the two
tasks of ``bench_defaults_openmoji.py``: the 9 emoji groups, and the illustrators with at
least 50 drawings. Each split (stratified, a quarter held out, the same splits for every
row) fits ``TransferClassifier(memory=...)`` (EfficientNet-Lite0 at 224 px, frozen; the
features cached once for all splits) on the other three quarters, then:

1. **Test-time augmentation**: accuracy and macro-F1 on the held-out quarter with
   ``tta=None``, ``"flip"`` and ``4`` (the image, its mirror, a 10 % zoom and its
   mirror), and their paired differences from ``None`` with the standard error over the
   splits. The docs make a setting the default only where its paired gain exceeds two
   standard errors on both tasks.
2. **Calibration**: the held-out quarter is halved (stratified); the top-label expected
   calibration error (15 bins) on the second half before calibration, and after
   ``CalibratedClassifierCV(FrozenEstimator(model), method=...)`` (temperature, sigmoid,
   isotonic) fitted on the first half, with the accuracy each leaves.
3. **Export**: the model of the first split of the groups, exported to LiteRT and ONNX
   (``toonsklearn.export.export_model``), each run in its own runtime; milliseconds per
   image at batch 1 and 32 against Keras ``model.predict`` and a direct call of the
   same network, in this process (after one warm-up call of each), and the file sizes
   against the ``.toonsklearn`` file.

``--quick`` runs 5 splits, and times the exported files over 64 images; the full run 10
splits and 256 images. Usage:

    python benchmarks/bench_shipping.py [--quick] [--data ../shared/data/openmoji64]
        [--splits N] [--memory FOLDER]

On 2 cores ``--quick`` takes about 2 minutes (most of it the Lite0 features of the
drawings and their views, once), the full run about 4.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import numpy as np
from bench_defaults_openmoji import load_tasks
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedShuffleSplit, train_test_split

TTAS = (None, "flip", 4)
METHODS = ("temperature", "sigmoid", "isotonic")


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def run_split(task, train, test, seed: int, memory: str) -> tuple[dict, object]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from toonsklearn import TransferClassifier
    from toonsklearn.inspection import calibration_error

    model = TransferClassifier(memory=memory, random_state=seed).fit(task.paths[train],
                                                                     task.y[train])
    result = {}
    for tta in TTAS:
        predicted = model.set_params(tta=tta).predict(task.paths[test])
        result[f"tta={tta}"] = (accuracy_score(task.y[test], predicted),
                                f1_score(task.y[test], predicted, average="macro"))
    model.set_params(tta=None)
    cal, held = train_test_split(test, test_size=0.5, stratify=task.y[test], random_state=seed)
    y_held = task.y[held]
    proba = model.predict_proba(task.paths[held])
    result["uncalibrated"] = (calibration_error(y_held, proba, labels=model.classes_),
                              accuracy_score(y_held, model.classes_[proba.argmax(1)]))
    for method in METHODS:
        calibrated = CalibratedClassifierCV(FrozenEstimator(model), method=method)
        calibrated.fit(task.paths[cal], task.y[cal])
        proba = calibrated.predict_proba(task.paths[held])
        result[method] = (calibration_error(y_held, proba, labels=calibrated.classes_),
                          accuracy_score(y_held, calibrated.classes_[proba.argmax(1)]))
    return result, model


def export_rows(model, pixels, n_images: int, folder: str) -> list[tuple]:
    """(name, ms per image at batch 1, at batch 32, file bytes) of Keras and the files."""
    from toonsklearn import io
    from toonsklearn.export import export_model, exportable_network, load_exported

    images = np.resize(pixels, (n_images, *pixels.shape[1:]))  # repeats the drawings
    saved = os.path.join(folder, "model.toonsklearn")
    io.save(model, saved)
    network = exportable_network(model)
    runners = {
        "keras predict": (lambda x: network.predict(x, batch_size=len(x), verbose=0),
                          os.path.getsize(saved)),
        "keras call": (lambda x: np.asarray(network(x, training=False)), None),
    }
    for format, suffix in (("litert", ".tflite"), ("onnx", ".onnx")):
        path = os.path.join(folder, "model" + suffix)
        export_model(model, path, format=format)
        runners[format] = (load_exported(path).predict_proba, os.path.getsize(path))
    rows = []
    for name, (run, size) in runners.items():
        times = []
        for batch in (1, 32):
            run(images[:batch])  # warm-up: a first call builds and allocates
            start = time.perf_counter()
            for begin in range(0, n_images, batch):
                run(images[begin:begin + batch])
            times.append(1000 * (time.perf_counter() - start) / n_images)
        rows.append((name, *times, size))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data", default="../shared/data/openmoji64")
    parser.add_argument("--splits", type=int)
    parser.add_argument("--memory", help="feature cache folder (default: a new one)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
    n_splits = args.splits or (5 if args.quick else 10)
    n_images = 64 if args.quick else 256
    print(f"mode: {'quick' if args.quick else 'full'}; {n_splits} splits; export timed over "
          f"{n_images} images", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        memory = args.memory or os.path.join(scratch, "features")
        results, exported = {}, None
        for task in load_tasks(args.data):
            splits = StratifiedShuffleSplit(n_splits, test_size=0.25, random_state=0)
            for split, (train, test) in enumerate(splits.split(task.y, task.y)):
                result, model = run_split(task, train, test, split, memory)
                results.setdefault(task.name, []).append(result)
                print(f"  {task.name:8} split {split}: accuracy "
                      f"{result['tta=None'][0]:.3f} (flip {result['tta=flip'][0]:.3f}); ECE "
                      f"{result['uncalibrated'][0]:.3f} -> {result['temperature'][0]:.3f} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
                if exported is None:
                    from toonsklearn import ImageFolderLoader

                    pixels = ImageFolderLoader(size=model.image_shape_[:2]).transform(
                        task.paths[test][:32])
                    exported = export_rows(model, pixels, n_images, scratch)
        report(results, exported, task_sizes={t: len(r) for t, r in results.items()})
    print(f"\ndone in {time.perf_counter() - started:.0f} s")


def report(results: dict, exported: list, task_sizes: dict) -> None:
    print("\n## Test-time augmentation: held-out accuracy and macro-F1, mean ± SE over "
          "splits; paired difference from tta=None in points")
    for task, runs in results.items():
        print(f"{task} ({task_sizes[task]} splits)")
        for tta in TTAS:
            key = f"tta={tta}"
            acc, f1 = (_mean_se([r[key][i] for r in runs]) for i in (0, 1))
            line = (f"  {key:9} accuracy {acc[0]:.3f} ± {acc[1]:.3f}  macro-F1 "
                    f"{f1[0]:.3f} ± {f1[1]:.3f}")
            if tta is not None:
                d_acc, d_f1 = (_mean_se([100 * (r[key][i] - r["tta=None"][i]) for r in runs])
                               for i in (0, 1))
                line += (f"  | accuracy {d_acc[0]:+.2f} ± {d_acc[1]:.2f}, macro-F1 "
                         f"{d_f1[0]:+.2f} ± {d_f1[1]:.2f}"
                         f"{'  (> 2 SE)' if d_acc[0] > 2 * d_acc[1] else ''}")
            print(line)
    print("\n## Calibration: top-label ECE (15 bins) on the second half of the held-out "
          "quarter, calibrators fitted on the first; mean ± SE; accuracy left")
    for task, runs in results.items():
        print(task)
        for key in ("uncalibrated", *METHODS):
            ece, acc = (_mean_se([r[key][i] for r in runs]) for i in (0, 1))
            print(f"  {key:12} ECE {ece[0]:.3f} ± {ece[1]:.3f}  accuracy {acc[0]:.3f}")
    print("\n## Export: ms per image (this process, after a warm-up), file size")
    print(f"  {'runtime':14} {'batch 1':>8} {'batch 32':>9} {'vs keras predict':>17} {'size':>10}")
    base = {1: exported[0][1], 32: exported[0][2]}
    for name, one, many, size in exported:
        shown = "-" if size is None else f"{size / 2**20:.1f} MiB"
        print(f"  {name:14} {one:8.2f} {many:9.2f} {base[1] / one:7.2f}x {base[32] / many:6.2f}x "
              f"{shown:>10}")


if __name__ == "__main__":
    main()
