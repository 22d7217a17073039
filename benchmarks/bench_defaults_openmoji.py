"""Do the defaults beat what a user would write by hand, on real drawings?

On the OpenMoji drawings (64x64 RGB; CC BY-SA 4.0, (c) OpenMoji, openmoji.org), two
tasks: the 9 emoji groups, and "which illustrator drew it" (``metadata.csv``'s
``author``, those with at least 50 drawings), an art-style task. Each row is fitted on
the same repeated stratified splits (a quarter held out), and each of our rows is
compared with each baseline by the mean of its paired differences over the splits
they share, with their standard error.

Rows (the baselines are plain scikit-learn and plain Keras, not our classes):

- ``pixel_lr``: LogisticRegression(C=0.01) on 32x32 pixels.
- ``frozen_lr``: EfficientNet-Lite0 ImageNet features (224 px, average-pooled) and a
  LogisticRegression whose ``C`` inner 5-fold CV chooses; its fit time includes the
  train images' share of the feature extraction.
- ``keras_cnn``: the seed notebooks' network: three conv blocks (32/64/128, max
  pooling), Dense(128), dropout 0.5, Adam 1e-3, 15 epochs at 64x64.
- ``keras_fine_tune``: fastai's ``fine_tune`` in Keras: one epoch with Lite0 frozen,
  then every layer at a twentieth of the rate with warm-up and cosine decay (AdamW,
  weight decay 0.01; BatchNorm in inference mode; one rate for every layer, where
  fastai's is 1e-5 for the backbone and 1e-3 for the head), at 224 px.
- ``transfer``, ``cnn``: ``TransferClassifier()`` and ``CNNClassifier()`` with their
  defaults, on the file paths.
- ``recommended``: the setting the docs recommend for best accuracy: a soft vote of
  two fine-tuned ``TransferClassifier(fine_tune_layers="all",
  fine_tune_learning_rate=1e-4)`` and two ``CNNClassifier()``, each pair with two seeds
  (``sklearn.ensemble.VotingClassifier``).
- ``cnn_128`` (only with ``--rows``): ``CNNClassifier()`` as it was until path mode
  read the files' own size, at 128x128.
- ``cnn_constant`` (only with ``--rows``): ``CNNClassifier()`` as it was until it took a
  cosine schedule, label smoothing 0.1 and dropout 0.1 (a constant rate, no smoothing,
  dropout 0.3).

A full run fits every row on the same 3 splits, and the costly rows
(``keras_fine_tune``, ``recommended``: minutes a fit) on the first 2 of them, on the
illustrators only, the task their criterion is about, unless ``--costly-tasks`` says
otherwise (on the groups each of their fits takes three times as long). The first line
of the output and the last say how many splits each row ran; ``--splits``,
``--cheap-splits``, ``--costly-splits`` and ``--split ROW=N`` run more, for narrower
standard errors.

``--quick`` fits the rows whose fits take seconds to a minute (``pixel_lr``,
``frozen_lr``, ``keras_cnn``, ``transfer``, ``cnn``) on the illustrators, on 2 splits
(the two logistic regressions on 3): the same table, fewer rows and wider errors.

Usage: python benchmarks/bench_defaults_openmoji.py [--data ../shared/data/openmoji64]
           [--quick] [--rows ROW ...] [--tasks groups authors] [--splits 3]
           [--cheap-splits 3] [--costly-splits 2] [--costly-tasks authors]
           [--split ROW=N ...] [--save results.json] [--load results.json ...]

The data is not part of the package. On 2 cores ``--quick`` takes about 4 minutes and
the full run about 38: the illustrators 19 (``recommended`` 11 of them), the groups 17
(``cnn`` 11 of them).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
import warnings

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MIN_DRAWINGS = 50  # per illustrator, for the art-style task
BASELINES = ("pixel_lr", "frozen_lr", "keras_cnn", "keras_fine_tune")
OURS = ("transfer", "cnn", "cnn_128", "cnn_constant", "recommended")
CHEAP, COSTLY = ("pixel_lr", "frozen_lr"), ("keras_fine_tune", "recommended")
#: Splits of most rows, of the cheap ones and of the costly ones, in a full run. Rows
#: are compared on the splits both ran, so splits a baseline runs beyond the others'
#: narrow only its own mean.
SPLITS, CHEAP_SPLITS, COSTLY_SPLITS = 3, 3, 2
#: --quick: the rows whose fits take seconds to a minute, on the illustrators.
QUICK_ROWS = ("pixel_lr", "frozen_lr", "keras_cnn", "transfer", "cnn")
QUICK_SPLITS, QUICK_CHEAP_SPLITS = 2, 3


class Task:
    """One classification task: file paths, 64x64 pixels, labels; Lite0 features on
    first use."""

    def __init__(self, name, rows, paths, pixels, y, features):
        self.name, self.rows, self.paths, self.pixels = name, rows, paths[rows], pixels[rows]
        self.y = np.asarray(y)
        self._features = features  # () -> (features of every drawing, seconds per image)

    @property
    def features(self):
        all_features, _ = self._features()
        return all_features[self.rows]

    @property
    def seconds_per_image(self):
        return self._features()[1]


def load_tasks(root: str, names=("groups", "authors")) -> list[Task]:
    """The tasks ``names``; the features, on first use, of the drawings they hold."""
    table = pd.read_csv(os.path.join(root, "metadata.csv"))
    paths = np.array([os.path.join(root, p) for p in table["path"]])
    pixels = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    cache = {}

    def features():
        if not cache:
            needed = np.unique(np.concatenate([task.rows for task in tasks]))
            some, seconds_per_image = lite0_features(pixels[needed])
            every = np.zeros((len(pixels), some.shape[1]), some.dtype)
            every[needed] = some
            cache["value"] = every, seconds_per_image
        return cache["value"]

    counts = table["author"].value_counts()
    art = table["author"].isin(counts[counts >= MIN_DRAWINGS].index).to_numpy()
    tasks = []
    for name, rows, labels in (("groups", np.arange(len(table)), table["group"]),
                               ("authors", np.flatnonzero(art), table["author"][art])):
        if name in names:
            tasks.append(Task(name, rows, paths, pixels, labels.to_numpy(), features))
    return tasks


# --- the baselines -----------------------------------------------------------------

def lite0(size: int, trainable: bool):
    import keras

    from toonsklearn.backbones import get_backbone

    backbone = get_backbone("efficientnet_lite0", input_shape=(size, size, 3))
    backbone.trainable = trainable
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.Resizing(size, size)(inputs)
    x = keras.layers.Rescaling(1 / 128, offset=-127 / 128)(x)  # Lite0's own preprocessing
    x = keras.layers.GlobalAveragePooling2D()(backbone(x, training=False))
    return inputs, x, backbone


def lite0_features(pixels):
    import keras

    inputs, x, _ = lite0(224, trainable=False)
    start = time.perf_counter()
    features = keras.Model(inputs, x).predict(pixels, batch_size=64, verbose=0)
    return features, (time.perf_counter() - start) / len(pixels)


def pixel_lr(task, train, test, seed):
    small = task.pixels.reshape(-1, 32, 2, 32, 2, 3).mean(axis=(2, 4)) / 255  # 2x2 mean
    X = small.reshape(len(small), -1)
    start = time.perf_counter()
    model = LogisticRegression(C=0.01, max_iter=2000).fit(X[train], task.y[train])
    return model.predict(X[test]), time.perf_counter() - start


def frozen_lr(task, train, test, seed):
    X = task.features
    start = time.perf_counter()
    inner = StratifiedKFold(5, shuffle=True, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegressionCV(
        Cs=np.logspace(-4, 1, 11), cv=inner, scoring="accuracy", max_iter=3000))
    model.fit(X[train], task.y[train])
    seconds = time.perf_counter() - start + task.seconds_per_image * len(train)
    return model.predict(X[test]), seconds


def _encoded(task, train):
    classes = np.unique(task.y[train])
    return classes, np.searchsorted(classes, task.y)


def keras_cnn(task, train, test, seed):
    import keras

    keras.utils.set_random_seed(seed)
    classes, y = _encoded(task, train)
    start = time.perf_counter()
    layers = keras.layers
    model = keras.Sequential([keras.Input((64, 64, 3)), layers.Rescaling(1 / 255)])
    for filters in (32, 64, 128):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(len(classes), activation="softmax"))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(task.pixels[train], y[train], batch_size=32, epochs=15, verbose=0)
    seconds = time.perf_counter() - start
    proba = model.predict(task.pixels[test], batch_size=64, verbose=0)
    return classes[proba.argmax(axis=1)], seconds


def keras_fine_tune(task, train, test, seed, size=224, epochs=5, base_lr=2e-3):
    import keras

    keras.utils.set_random_seed(seed)
    classes, y = _encoded(task, train)
    start = time.perf_counter()
    inputs, x, backbone = lite0(size, trainable=False)
    x = keras.layers.Dropout(0.2)(x)
    model = keras.Model(inputs, keras.layers.Dense(len(classes), activation="softmax")(x))
    steps = -(-len(train) // 32)

    def fit_one_cycle(n_epochs, peak, warmup, div):
        total = steps * n_epochs
        schedule = keras.optimizers.schedules.CosineDecay(
            peak / div, total - int(total * warmup), alpha=1e-5, warmup_target=peak,
            warmup_steps=int(total * warmup))
        model.compile(keras.optimizers.AdamW(schedule, weight_decay=0.01),
                      "sparse_categorical_crossentropy")
        model.fit(task.pixels[train], y[train], batch_size=32, epochs=n_epochs, verbose=0)

    fit_one_cycle(1, base_lr, warmup=0.99, div=25)  # fastai: freeze, fit_one_cycle(1)
    # Then unfreeze, fit_one_cycle(epochs, slice(base_lr / 200, base_lr / 2)): fastai's
    # backbone at 1e-5 and head at 1e-3 become one rate between them for every layer.
    backbone.trainable = True
    fit_one_cycle(epochs, base_lr / 20, warmup=0.3, div=5)
    seconds = time.perf_counter() - start
    proba = model.predict(task.pixels[test], batch_size=64, verbose=0)
    return classes[proba.argmax(axis=1)], seconds


# --- ours ---------------------------------------------------------------------------

def _ours(make):
    def row(task, train, test, seed):
        model = make(seed)
        start = time.perf_counter()
        model.fit(task.paths[train], task.y[train])
        seconds = time.perf_counter() - start
        return model.predict(task.paths[test]), seconds
    return row


def _transfer(seed):
    from toonsklearn import TransferClassifier
    return TransferClassifier(random_state=seed)


def _cnn(seed):
    from toonsklearn import CNNClassifier
    return CNNClassifier(random_state=seed)


def _cnn_128(seed):
    from toonsklearn import CNNClassifier
    return CNNClassifier(input_size=(128, 128), random_state=seed)


def _cnn_constant(seed):
    from toonsklearn import CNNClassifier
    return CNNClassifier(lr_schedule="constant", label_smoothing=0.0, dropout=0.3,
                         random_state=seed)


def _recommended(seed):
    from sklearn.ensemble import VotingClassifier

    from toonsklearn import CNNClassifier, TransferClassifier

    def fine_tuned(seed):
        return TransferClassifier(fine_tune_layers="all", fine_tune_learning_rate=1e-4,
                                  random_state=seed)

    return VotingClassifier([
        ("transfer", fine_tuned(seed)), ("transfer_again", fine_tuned(seed + 1000)),
        ("cnn", CNNClassifier(random_state=seed)),
        ("cnn_again", CNNClassifier(random_state=seed + 1000)),
    ], voting="soft")


ROWS = {"pixel_lr": pixel_lr, "frozen_lr": frozen_lr, "keras_cnn": keras_cnn,
        "keras_fine_tune": keras_fine_tune, "transfer": _ours(_transfer),
        "cnn": _ours(_cnn), "cnn_128": _ours(_cnn_128), "cnn_constant": _ours(_cnn_constant),
        "recommended": _ours(_recommended)}
RECOMMENDED = ("a soft VotingClassifier of 2 x TransferClassifier(fine_tune_layers='all', "
               "fine_tune_learning_rate=1e-4) and 2 x CNNClassifier(), other seeds")


# --- running and reporting ------------------------------------------------------------

def run(tasks, rows, n_splits: dict, results: dict, costly_tasks) -> None:
    import keras

    for task in tasks:
        splitter = StratifiedShuffleSplit(max(n_splits.values()), test_size=0.25,
                                          random_state=0)
        splits = list(splitter.split(task.y, task.y))
        for name in (r for r in rows if r not in COSTLY or task.name in costly_tasks):
            done = results.setdefault(task.name, {}).setdefault(name, [])
            for split, (train, test) in enumerate(splits[:n_splits[name]]):
                if any(r["split"] == split for r in done):
                    continue
                predicted, seconds = ROWS[name](task, train, test, split)
                done.append({"split": split, "fit_s": seconds,
                             "accuracy": accuracy_score(task.y[test], predicted),
                             "macro_f1": f1_score(task.y[test], predicted, average="macro")})
                print(f"  {task.name:8} {name:16} split {split}: "
                      f"accuracy {done[-1]['accuracy']:.3f} in {seconds:.0f}s", flush=True)
                keras.backend.clear_session()
                gc.collect()


def _paired(a: list, b: list, key: str):
    by_split = {r["split"]: r[key] for r in b}
    diffs = np.array([r[key] - by_split[r["split"]] for r in a if r["split"] in by_split])
    if len(diffs) == 0:
        return None
    se = diffs.std(ddof=1) / np.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")
    return diffs.mean(), se, len(diffs)


def report(results: dict, sizes: dict) -> None:
    for task, rows in results.items():
        print(f"\n## {task}: {sizes.get(task, '?')}")
        print(f"{'row':16} {'splits':>6} {'accuracy':>15} {'macro-F1':>9} {'fit s':>7}")
        for name, runs in rows.items():
            acc = np.array([r["accuracy"] for r in runs])
            se = acc.std(ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else float("nan")
            print(f"{name:16} {len(runs):6} {acc.mean():8.3f} ± {se:.3f} "
                  f"{np.mean([r['macro_f1'] for r in runs]):9.3f} "
                  f"{np.mean([r['fit_s'] for r in runs]):7.0f}")
        print("paired differences, ours - baseline: accuracy points ± SE (splits); "
              "fit-time ratio")
        for ours in (n for n in OURS if n in rows):
            cells = []
            for base in (n for n in BASELINES if n in rows):
                diff = _paired(rows[ours], rows[base], "accuracy")
                if diff is not None:
                    mean, se, n = diff
                    ratio = (np.mean([r["fit_s"] for r in rows[ours]])
                             / np.mean([r["fit_s"] for r in rows[base]]))
                    cells.append(f"{base} {100 * mean:+.1f} ± {100 * se:.1f} ({n}); "
                                 f"{ratio:.2f}x")
            print(f"  {ours:12} " + "\n               ".join(cells))
    print(f"\nrecommended = {RECOMMENDED}")


def plan(rows, n_splits: dict, splits: int, costly_tasks) -> str:
    """The splits each row runs, in words: those on fewer than ``splits`` say so."""
    words = [f"{row} {n_splits[row]}" + (f" of {splits}" if n_splits[row] < splits else "")
             for row in rows]
    costly = [r for r in COSTLY if r in rows]
    where = f"; {', '.join(costly)} on {' and '.join(costly_tasks)} only" if costly else ""
    return f"splits per row: {', '.join(words)}{where}"


def main(argv=None) -> None:
    # scikit-learn 1.8 announces new LogisticRegressionCV defaults; these rows set theirs.
    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/openmoji64")
    parser.add_argument("--quick", action="store_true",
                        help=f"the rows {', '.join(QUICK_ROWS)} on the illustrators, "
                             f"{QUICK_SPLITS} splits ({', '.join(CHEAP)} {QUICK_CHEAP_SPLITS})")
    parser.add_argument("--rows", nargs="+", default=None, choices=list(ROWS),
                        help="default: all but cnn_128 and cnn_constant")
    parser.add_argument("--tasks", nargs="+", default=None, choices=["groups", "authors"],
                        help="default: both (authors with --quick)")
    parser.add_argument("--splits", type=int, default=None,
                        help=f"splits of most rows (default {SPLITS}, {QUICK_SPLITS} "
                             "with --quick)")
    parser.add_argument("--cheap-splits", type=int, default=None,
                        help=f"of {CHEAP} (default {CHEAP_SPLITS}, {QUICK_CHEAP_SPLITS} "
                             "with --quick)")
    parser.add_argument("--costly-splits", type=int, default=None,
                        help=f"of {COSTLY} (default {COSTLY_SPLITS})")
    parser.add_argument("--costly-tasks", nargs="+", default=["authors"],
                        choices=["groups", "authors"], help=f"the tasks {COSTLY} run on")
    parser.add_argument("--split", action="append", default=[], metavar="ROW=N",
                        help="the splits of one row, overriding the above")
    parser.add_argument("--save", help="write the per-split results to this JSON file")
    parser.add_argument("--load", nargs="+", default=[],
                        help="start from these results (runs only the splits missing)")
    args = parser.parse_args(argv)
    quick = args.quick
    rows = args.rows or (QUICK_ROWS if quick else
                         [r for r in ROWS if r not in ("cnn_128", "cnn_constant")])
    task_names = args.tasks or (["authors"] if quick else ["groups", "authors"])
    splits = args.splits or (QUICK_SPLITS if quick else SPLITS)
    n_splits = {name: splits for name in ROWS}
    n_splits.update({name: args.cheap_splits or (QUICK_CHEAP_SPLITS if quick else CHEAP_SPLITS)
                     for name in CHEAP})
    n_splits.update({name: args.costly_splits or COSTLY_SPLITS for name in COSTLY})
    for item in args.split:
        name, count = item.split("=")
        n_splits[name] = int(count)
    rows = [r for r in ROWS if r in rows]
    print(f"mode: {'quick' if quick else 'full'}; " + plan(rows, n_splits, splits,
                                                          args.costly_tasks), flush=True)
    results = {}
    for path in args.load:
        with open(path) as file:
            for task, saved in json.load(file).items():
                for name, runs in saved.items():
                    results.setdefault(task, {}).setdefault(name, []).extend(runs)
    tasks = load_tasks(args.data, task_names)
    sizes = {t.name: f"{len(t.y)} drawings, {len(np.unique(t.y))} classes" for t in tasks}
    print(", ".join(f"{k} {v}" for k, v in sizes.items()), flush=True)
    start = time.perf_counter()
    try:
        run(tasks, rows, n_splits, results, args.costly_tasks)
    finally:
        if args.save:
            with open(args.save, "w") as file:
                json.dump(results, file, indent=1)
        report(results, sizes)
        print(f"whole run {time.perf_counter() - start:.0f}s "
              f"({plan(rows, n_splits, splits, args.costly_tasks)})")


if __name__ == "__main__":
    main()
