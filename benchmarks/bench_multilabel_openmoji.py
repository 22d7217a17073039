"""Does MultiLabelCNN beat a one-vs-rest logistic regression on frozen features?

On the OpenMoji drawings (64x64 RGB; CC BY-SA 4.0, (c) OpenMoji, openmoji.org), five
tags read from ``metadata.csv``: "face", "animal", "person", "hand" and "flag" (from
each drawing's subgroup and the words of its annotation). A drawing may carry none
(about half), one, or two (a cat's face is a face and an animal). Each row is fitted on
the same repeated splits (a quarter held out) and compared with the baseline by the
mean of its paired macro-F1 differences, with their standard error.

Rows:

- ``ovr_lr`` (the baseline, plain scikit-learn): EfficientNet-Lite0 ImageNet features
  (224 px, average-pooled), standardised, one LogisticRegression per tag with ``C``
  chosen by inner 5-fold CV, and each tag's threshold the one that maximises its F1 on
  3-fold out-of-fold probabilities of the training part. Its fit time includes the
  train images' share of the feature extraction.
- ``multilabel_cnn``: ``MultiLabelCNN()`` with its defaults, on the file paths (fewer
  splits: each fit takes minutes).
- ``multilabel_cnn_cosine`` (only with ``--rows``): ``MultiLabelCNN()`` with
  CNNClassifier's training defaults (a cosine schedule, label smoothing 0.1, dropout 0.1).
- ``multilabel_transfer``: ``MultiLabelCNN(backbone="efficientnet_lite0")``.
- ``multilabel_transfer_tuned``: the same through ``tune_thresholds`` (3 folds; the
  features cached with ``memory=``, so each image goes through the backbone once).

Usage: python benchmarks/bench_multilabel_openmoji.py [--data ../shared/data/openmoji64]
           [--quick] [--images N] [--rows ROW ...] [--splits 5] [--costly-splits 3]
           [--save results.json] [--load results.json ...]

``--quick`` runs every row on 2 splits of a seeded subset of 800 drawings (the costly
row too): the same table, with wider standard errors and smaller training sets. The
data is not part of the package. On 2 cores ``--quick`` takes about 5 minutes, the full
run about half an hour.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from bench_defaults_openmoji import _paired, lite0_features
from PIL import Image
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import f1_score
from sklearn.model_selection import ShuffleSplit, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

_PEOPLE = r"\b(?:man|woman|person|people|boy|girl)\b"


def load_tags(root: str, n: int | None = None):
    """File paths, Lite0 features (on first use) and the 0/1 tag matrix, of all the
    drawings or of a seeded subset of ``n``."""
    table = pd.read_csv(os.path.join(root, "metadata.csv"))
    if n is not None and n < len(table):
        rows = np.sort(np.random.default_rng(0).permutation(len(table))[:n])
        table = table.iloc[rows].reset_index(drop=True)
    subgroup, words = table["subgroup"], table["annotation"].str.lower()
    tags = pd.DataFrame({
        "face": subgroup.str.startswith("face") | subgroup.str.endswith("-face")
        | words.str.contains(r"\bface\b"),
        "animal": subgroup.str.startswith("animal") | subgroup.isin(["cat-face", "monkey-face"]),
        "person": subgroup.str.startswith("person") | (subgroup == "family")
        | words.str.contains(_PEOPLE),
        "hand": subgroup.str.startswith("hand") | words.str.contains(r"\bhands?\b"),
        "flag": subgroup.str.contains("flag"),
    }).astype(int)
    paths = np.array([os.path.join(root, p) for p in table["path"]])
    cache = {}

    def features():
        if not cache:
            pixels = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
            cache["value"] = lite0_features(pixels)
        return cache["value"]

    return paths, features, tags


def _best_threshold(y, proba) -> float:
    """The threshold among the probabilities (and 0.5) with the best F1 of one tag."""
    candidates = np.unique(np.append(proba, 0.5))
    scores = [f1_score(y, proba >= t, zero_division=0) for t in candidates]
    return candidates[int(np.argmax(scores))]


def ovr_lr(paths, features, Y, train, test, seed):
    X, seconds_per_image = features()
    start = time.perf_counter()
    predicted = np.zeros((len(test), Y.shape[1]), dtype=int)
    for j in range(Y.shape[1]):
        inner = StratifiedKFold(5, shuffle=True, random_state=seed)
        model = make_pipeline(StandardScaler(), LogisticRegressionCV(
            Cs=np.logspace(-4, 1, 11), cv=inner, scoring="f1", max_iter=3000))
        folds = StratifiedKFold(3, shuffle=True, random_state=seed)
        out_of_fold = cross_val_predict(model, X[train], Y[train, j], cv=folds,
                                        method="predict_proba")[:, 1]
        threshold = _best_threshold(Y[train, j], out_of_fold)
        model.fit(X[train], Y[train, j])
        predicted[:, j] = model.predict_proba(X[test])[:, 1] >= threshold
    seconds = time.perf_counter() - start + seconds_per_image * len(train)
    return predicted, seconds


def _ours(make, tuned=False):
    def row(paths, features, Y, train, test, seed):
        from toonsklearn.tuning import tune_thresholds

        with tempfile.TemporaryDirectory() as memory:
            model = make(seed, memory)
            start = time.perf_counter()
            if tuned:
                model = tune_thresholds(model, paths[train], Y[train], cv=3)
            else:
                model.fit(paths[train], Y[train])
            seconds = time.perf_counter() - start
            return model.predict(paths[test]), seconds
    return row


def _cnn(seed, memory):
    from toonsklearn import MultiLabelCNN
    return MultiLabelCNN(random_state=seed)


def _cnn_cosine(seed, memory):
    from toonsklearn import MultiLabelCNN
    return MultiLabelCNN(lr_schedule="cosine", label_smoothing=0.1, dropout=0.1,
                         random_state=seed)


def _transfer(seed, memory):
    from toonsklearn import MultiLabelCNN
    return MultiLabelCNN(backbone="efficientnet_lite0", memory=memory, random_state=seed)


ROWS = {"ovr_lr": ovr_lr, "multilabel_cnn": _ours(_cnn),
        "multilabel_cnn_cosine": _ours(_cnn_cosine),
        "multilabel_transfer": _ours(_transfer),
        "multilabel_transfer_tuned": _ours(_transfer, tuned=True)}
COSTLY = ("multilabel_cnn", "multilabel_cnn_cosine")


def main(argv=None) -> None:
    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/openmoji64")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS),
                        default=[r for r in ROWS if r != "multilabel_cnn_cosine"])
    parser.add_argument("--quick", action="store_true",
                        help="800 drawings, 2 splits of every row")
    parser.add_argument("--images", type=int, default=None,
                        help="a seeded subset of the drawings (default all, 800 with --quick)")
    parser.add_argument("--splits", type=int, default=None,
                        help="splits of most rows (default 5, 2 with --quick)")
    parser.add_argument("--costly-splits", type=int, default=None,
                        help=f"of {COSTLY} (default 3, 2 with --quick)")
    parser.add_argument("--save", help="write the per-split results to this JSON file")
    parser.add_argument("--load", nargs="+", default=[],
                        help="start from these results (runs only the splits missing)")
    args = parser.parse_args(argv)
    n_images = args.images or (800 if args.quick else None)
    n_splits = args.splits or (2 if args.quick else 5)
    costly_splits = args.costly_splits or (2 if args.quick else 3)
    print(f"mode: {'quick' if args.quick else 'full'}; {n_splits} splits "
          f"({', '.join(COSTLY)}: {costly_splits})", flush=True)
    import keras

    paths, features, tags = load_tags(args.data, n_images)
    Y = tags.to_numpy()
    print(f"{len(Y)} drawings; tags: " + ", ".join(f"{k} {v}" for k, v in tags.sum().items())
          + f"; {int((Y.sum(axis=1) == 0).sum())} with none", flush=True)
    splits = list(ShuffleSplit(n_splits, test_size=0.25, random_state=0).split(Y))
    results, start = {}, time.perf_counter()
    for path in args.load:
        with open(path) as file:
            for name, runs in json.load(file).items():
                results.setdefault(name, []).extend(runs)
    for name in args.rows:
        done = results.setdefault(name, [])
        for split, (train, test) in enumerate(
                splits[:costly_splits] if name in COSTLY else splits):
            if any(r["split"] == split for r in done):
                continue
            predicted, seconds = ROWS[name](paths, features, Y, train, test, split)
            done.append({"split": split, "fit_s": seconds,
                         "macro_f1": f1_score(Y[test], predicted, average="macro",
                                              zero_division=0),
                         "micro_f1": f1_score(Y[test], predicted, average="micro",
                                              zero_division=0)})
            print(f"  {name:26} split {split}: macro-F1 {done[-1]['macro_f1']:.3f} "
                  f"in {seconds:.0f}s", flush=True)
            keras.backend.clear_session()
            gc.collect()
    if args.save:
        with open(args.save, "w") as file:
            json.dump(results, file, indent=1)
    print(f"\n{'row':26} {'splits':>6} {'macro-F1':>15} {'micro-F1':>9} {'fit s':>7}"
          "   paired macro-F1 vs ovr_lr, points ± SE")
    for name, runs in results.items():
        macro = np.array([r["macro_f1"] for r in runs])
        se = macro.std(ddof=1) / np.sqrt(len(macro)) if len(macro) > 1 else float("nan")
        diff = _paired(runs, results["ovr_lr"], "macro_f1") if "ovr_lr" in results else None
        versus = "" if diff is None or name == "ovr_lr" else \
            f"   {100 * diff[0]:+.1f} ± {100 * diff[1]:.1f}"
        print(f"{name:26} {len(runs):6} {macro.mean():8.3f} ± {se:.3f} "
              f"{np.mean([r['micro_f1'] for r in runs]):9.3f} "
              f"{np.mean([r['fit_s'] for r in runs]):7.0f}{versus}")
    print(f"whole run {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
