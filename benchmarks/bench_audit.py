"""Does ``toonsklearn.inspection`` find the copies and the wrong labels, and how fast?

Four sections, each timed:

1. Near-copy finders on planted copies. ``make_toons`` drawings (64x64, 7 characters)
   are written as PNG files to a temporary folder, with near copies of a seeded sample
   of them: resized (to 40, 48, 96 or 128 px), JPEG-recompressed (quality 40 to 90),
   shifted 1 to 4 pixels (edges repeated) or colour-jittered (brightness, contrast,
   saturation, channel gains), one transform a copy, a quarter each. ``find_duplicates``
   on the paths with perceptual hashes only (phash), embeddings only (``ImageEmbedder()``,
   EfficientNet-Lite0 with ImageNet weights from pip; ``memory=`` a temporary folder, so
   the features are computed once and every threshold reads them back), and the union
   (a pair is a copy when either similarity reaches the threshold), at thresholds 0.90,
   0.93 and 0.95, plus exact copies only. Pairs are counted from the groups (two images
   in one group are a pair found, as ``duplicate_groups`` gives them to a splitter):
   recall of the planted (original, copy) pairs, overall and per transform, and
   precision (planted pairs / pairs found; a pair of two unrelated drawings counts
   against it). Goal: recall >= 0.95 at precision >= 0.95.
2. Flipped labels. ``make_toons(task="characters")`` images with 5 % of the labels
   changed to another class (seeded); ``find_label_issues`` of
   ``make_pipeline(ImageEmbedder(memory=...), LogisticRegression(max_iter=1000))`` with
   ``cv=5``: recall of the flipped labels among the flagged (``is_issue``) and in the
   first 10 % of the ranking, and precision of the flagged. Goal: recall >= 0.8 in the
   top 10 %.
3. Speed. ``find_duplicates`` (phash) on N 64x64 PNG files (just written, so in the
   page cache): reading, digesting, decoding, hashing and the pair search, end to end.
   And the pair search of ``find_duplicates`` over N 1280-d embeddings already computed
   (a transformer that returns stored rows, as ``ImageEmbedder(memory=...)`` reads its
   cache back): random non-negative unit vectors stand in for the features, with 50
   planted close pairs the search must find. Goals at N = 50,000: hashing under 5
   minutes, the search under 2. ``--quick`` measures a smaller N and extrapolates to
   50,000 (hashing linearly, the search quadratically), printed as such.
4. OpenMoji (real drawings, ``--openmoji DIR``, default ``../shared/data/openmoji64``;
   CC BY-SA 4.0, (c) OpenMoji, openmoji.org; skipped when missing): groups of exact
   copies, of near copies (phash at the default threshold, and the union with the
   embedder), example pairs by file name, how many test images of a random stratified
   80/20 split have a copy in its training part (``leakage``), and the accuracy of the
   embedder + logistic regression pipeline on the 9 emoji groups (the ``group`` column)
   under a random split (``StratifiedKFold(5)``, shuffled) against a split that keeps
   copies together (``StratifiedGroupKFold(5)`` with ``groups=duplicate_groups(...)``):
   mean +- standard error over the folds, and the difference (its standard error from
   both, the folds being different).

The modes of ``find_duplicates`` follow its ``hashes=`` keyword (phash:
``hashes=True``; embeddings: ``hashes=False, embedder=E``; union: both; exact copies:
``hashes=False``); on a version without that keyword the union and exact rows are
skipped with a printed line.

Usage: python benchmarks/bench_audit.py [--quick] [--openmoji DIR]

``--quick`` (2,000 drawings + 400 copies, 1,000 characters, N = 10,000) takes about
3 minutes on 2 cores; the full run (5,000 + 1,000, 2,000 characters, N = 50,000) about
6, of which writing the 50,000 files takes 2.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from PIL import Image, ImageEnhance
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline

from toonsklearn.datasets import make_toons
from toonsklearn.embedding import ImageEmbedder
from toonsklearn.inspection import duplicate_groups, find_duplicates, find_label_issues, leakage

THRESHOLDS = (0.90, 0.93, 0.95)
GOAL_RECALL = GOAL_PRECISION = 0.95
KINDS = ("resize", "jpeg", "shift", "jitter")
RESIZE_SIDES = (40, 48, 96, 128)
JPEG_QUALITIES = (40, 60, 75, 90)
SIDE = 64
TARGET_N = 50_000  # the size the speed goals are stated for
HASH_GOAL_S, SEARCH_GOAL_S = 300, 120
#: Whether this version has ``hashes=`` (phash and embeddings together, or neither).
HAS_HASHES = "hashes" in inspect.signature(find_duplicates).parameters
QUICK = {"toons": 2000, "copies": 400, "characters": 1000, "classes": 20, "speed_n": 10_000}
FULL = {"toons": 5000, "copies": 1000, "characters": 2000, "classes": 20, "speed_n": TARGET_N}


def finder(mode: str, embedder=None) -> dict | None:
    """Keywords of ``find_duplicates``/``duplicate_groups``/``leakage`` for ``mode``, or
    None where this version of the library cannot do it."""
    if HAS_HASHES:
        return {"phash": {"hashes": True}, "embedding": {"hashes": False, "embedder": embedder},
                "union": {"hashes": True, "embedder": embedder},
                "exact": {"hashes": False}}[mode]
    return {"phash": {}, "embedding": {"embedder": embedder}}.get(mode)


def section(title: str) -> float:
    print(f"\n## {title}", flush=True)
    return time.perf_counter()


def done(begin: float) -> None:
    print(f"(section: {time.perf_counter() - begin:.0f}s)", flush=True)


def labels_of(table: pd.DataFrame, n: int) -> np.ndarray:
    """Group of each image of a ``find_duplicates`` table, -1 for an image in none."""
    labels = np.full(n, -1, dtype=np.int64)
    labels[table["index"].to_numpy()] = table["group"].to_numpy()
    return labels


def pairs_in_groups(table: pd.DataFrame) -> int:
    sizes = table["group"].value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


# --------------------------------------------------------------- 1. planted near copies
def plant_copies(root: str, n: int, n_copies: int):
    """Write ``n`` drawings and ``n_copies`` near copies of distinct ones as files.

    Returns the paths, and for each copy: its original's index, its own index, the
    transform and the transform with its parameter (``jpeg40``, ``shift3``, ...)."""
    X, _ = make_toons(n, task="multiclass", image_size=SIDE, random_state=0)
    paths = [os.path.join(root, f"{i:05d}.png") for i in range(n)]
    for image, path in zip(X, paths, strict=True):
        Image.fromarray(image).save(path)
    rng = np.random.default_rng(1)
    originals = rng.choice(n, n_copies, replace=False)
    kinds = np.array(KINDS)[np.arange(n_copies) * len(KINDS) // n_copies]
    details = []
    for original, kind in zip(originals, kinds, strict=True):
        image, options, ext = Image.fromarray(X[original]), {}, "png"
        if kind == "resize":
            side = int(rng.choice(RESIZE_SIDES))
            image, detail = image.resize((side, side), Image.Resampling.BICUBIC), f"resize{side}"
        elif kind == "jpeg":
            quality = int(rng.choice(JPEG_QUALITIES))
            options, ext, detail = {"quality": quality}, "jpg", f"jpeg{quality}"
        elif kind == "shift":
            m = int(rng.integers(1, 5))
            dx, dy = m * int(rng.choice([-1, 1])), int(rng.integers(-m, m + 1))
            if rng.random() < 0.5:
                dx, dy = dy, dx
            padded = np.pad(X[original], ((4, 4), (4, 4), (0, 0)), mode="edge")
            image = Image.fromarray(padded[4 + dy:4 + dy + SIDE, 4 + dx:4 + dx + SIDE])
            detail = f"shift{m}"
        else:
            image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.8, 1.2))
            image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.8, 1.2))
            image = ImageEnhance.Color(image).enhance(rng.uniform(0.7, 1.3))
            gains = rng.uniform(0.9, 1.1, 3)
            image = Image.fromarray(np.clip(np.asarray(image) * gains, 0, 255).astype(np.uint8))
            detail = "jitter"
        paths.append(os.path.join(root, f"copy{len(paths):05d}.{ext}"))
        image.save(paths[-1], **options)
        details.append(detail)
    del X
    copies = np.arange(n, n + n_copies)
    return np.array(paths), originals, copies, kinds, np.array(details)


def detail_order(detail: str) -> tuple:
    """``shift3`` -> (index of ``shift`` in KINDS, 3), to sort the parameters."""
    kind = detail.rstrip("0123456789")
    return KINDS.index(kind), int(detail[len(kind):] or 0)


def near_copies(sizes: dict, memory: str) -> None:
    begin = section(f"1. near-copy finders: {sizes['toons']:,} make_toons drawings + "
                    f"{sizes['copies']:,} planted near copies ({SIDE}x{SIDE} files)")
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        paths, originals, copies, kinds, details = plant_copies(root, sizes["toons"],
                                                                sizes["copies"])
        print(f"wrote {len(paths):,} files in {time.perf_counter() - start:.0f}s; copies: "
              + ", ".join(f"{(kinds == k).sum()} {k}" for k in KINDS))
        embedder = ImageEmbedder(memory=memory)
        start = time.perf_counter()
        embedder.fit(paths[:1]).transform(paths)  # fills the cache: every row reads it back
        print(f"embedded {len(paths):,} files (efficientnet_lite0, into the cache) in "
              f"{time.perf_counter() - start:.0f}s")
        rows = [("exact", None)] + [(mode, t) for mode in ("phash", "embedding", "union")
                                    for t in THRESHOLDS]
        detail_names = sorted(set(details), key=detail_order)
        print(f"\n{'finder':10} {'threshold':>9} {'pairs':>7} {'planted':>7} {'recall':>7}"
              f" {'precision':>9}" + "".join(f" {k:>7}" for k in KINDS) + f" {'s':>5}")
        results, by_detail = {}, {}
        for mode, threshold in rows:
            keywords = finder(mode, embedder)
            if keywords is None:
                print(f"{mode:10} {'':>9} skipped: this version of find_duplicates has no "
                      "hashes= keyword")
                continue
            start = time.perf_counter()
            table = find_duplicates(paths, threshold=threshold or 0.93, **keywords)
            seconds = time.perf_counter() - start
            labels = labels_of(table, len(paths))
            found = (labels[originals] >= 0) & (labels[originals] == labels[copies])
            n_pairs = pairs_in_groups(table)
            recall, precision = found.mean(), found.sum() / max(1, n_pairs)
            results[mode, threshold] = recall, precision
            by_detail[mode, threshold] = {d: found[details == d].mean() for d in detail_names}
            per_kind = "".join(f" {found[kinds == k].mean():7.3f}" for k in KINDS)
            shown = "-" if threshold is None else f"{threshold:.2f}"
            shown_precision = f"{precision:9.3f}" if n_pairs else f"{'-':>9}"
            print(f"{mode:10} {shown:>9} {n_pairs:7} {found.sum():7} {recall:7.3f}"
                  f" {shown_precision}{per_kind} {seconds:5.1f}", flush=True)
        print("(pairs: pairs of images in one group; planted: planted pairs among them; "
              "per transform: recall)")
        met = [f"{mode} {t:.2f}" for (mode, t), (r, p) in results.items()
               if t is not None and r >= GOAL_RECALL and p >= GOAL_PRECISION]
        print(f"goal: recall >= {GOAL_RECALL} at precision >= {GOAL_PRECISION}: "
              f"{'met by ' + ', '.join(met) if met else 'met by no row'}")
        at = 0.93
        print(f"\nrecall per transform and parameter at threshold {at}:")
        print(f"{'finder':10}" + "".join(f" {d:>9}" for d in detail_names))
        for (mode, threshold), recalls in by_detail.items():
            if threshold == at:
                print(f"{mode:10}" + "".join(f" {recalls[d]:9.3f}" for d in detail_names))
    done(begin)


# --------------------------------------------------------------------- 2. flipped labels
def flipped_labels(sizes: dict, memory: str) -> None:
    n, k = sizes["characters"], sizes["classes"]
    begin = section(f"2. flipped labels: {n:,} make_toons(task='characters') images, {k} "
                    "classes, 5% of the labels flipped")
    X, y = make_toons(n, task="characters", n_classes=k, image_size=SIDE, random_state=0)
    rng = np.random.default_rng(2)
    flipped = rng.choice(n, round(0.05 * n), replace=False)
    classes = np.unique(y)
    noisy = y.copy()
    for i in flipped:
        noisy[i] = rng.choice(classes[classes != y[i]])
    start = time.perf_counter()
    ImageEmbedder(memory=memory).fit(X[:1]).transform(X)  # fills the cache
    print(f"embedded {n:,} images (into the cache) in {time.perf_counter() - start:.0f}s")
    model = make_pipeline(ImageEmbedder(memory=memory), LogisticRegression(max_iter=1000))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        issues = find_label_issues(model, X, noisy, cv=5, random_state=0)
    seconds = time.perf_counter() - start
    is_flipped = np.zeros(n, dtype=bool)
    is_flipped[flipped] = True
    ranked = is_flipped[issues["index"].to_numpy()]  # in the ranking's order
    flagged = ranked[issues["is_issue"].to_numpy()]
    top = math.ceil(0.1 * n)
    suggested = issues.set_index("index")["suggested_label"].loc[flipped].to_numpy()
    not_converged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    print(f"find_label_issues (cv=5, embeddings read back): {seconds:.0f}s"
          + (f"; LogisticRegression did not converge in {not_converged} fits"
             if not_converged else ""))
    print(f"\n{'flipped':>7} {'flagged':>7} {'recall flagged':>14} {'precision flagged':>17}"
          f" {'recall top 10%':>14} {'suggested = true':>16}")
    print(f"{len(flipped):7} {len(flagged):7} {flagged.sum() / len(flipped):14.3f}"
          f" {flagged.mean() if len(flagged) else float('nan'):17.3f}"
          f" {ranked[:top].sum() / len(flipped):14.3f} {(suggested == y[flipped]).mean():16.3f}")
    print(f"(top 10%: the first {top} of the ranking; suggested = true: share of the flipped "
          "labels whose suggested label is the original one)")
    recall_top = ranked[:top].sum() / len(flipped)
    print(f"goal: recall >= 0.8 in the top 10%: {'met' if recall_top >= 0.8 else 'not met'}"
          f" ({recall_top:.3f})")
    done(begin)


# ------------------------------------------------------------------------------- 3. speed
class StoredEmbeddings:
    """``transform(images)``: the stored rows the images index (pixel (0, 0)'s channels
    as a number in base 256), as an embedder with a warm cache returns them."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def transform(self, X):
        codes = np.asarray(X)[:, 0, 0, :].astype(np.int64)
        return self.rows[codes[:, 0] + 256 * codes[:, 1] + 65536 * codes[:, 2]]


def write_toons(root: str, n: int, chunk: int = 2500) -> list:
    """``n`` make_toons PNG files, drawn a chunk at a time (memory holds one chunk)."""
    paths = []
    for start in range(0, n, chunk):
        X, _ = make_toons(min(chunk, n - start), task="multiclass", image_size=SIDE,
                          random_state=100 + start // chunk)
        for image in X:
            paths.append(os.path.join(root, f"{len(paths):06d}.png"))
            Image.fromarray(image).save(paths[-1])
    return paths


def speed(sizes: dict) -> None:
    n = sizes["speed_n"]
    begin = section(f"3. speed: N = {n:,}" + ("" if n == TARGET_N else
                                              f" (extrapolated to {TARGET_N:,})"))
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        paths = write_toons(root, n)
        print(f"wrote {n:,} {SIDE}x{SIDE} PNG files in {time.perf_counter() - start:.0f}s")
        start = time.perf_counter()
        table = find_duplicates(paths, **finder("phash"))
        hashing = time.perf_counter() - start
    del paths
    rng = np.random.default_rng(3)
    rows = np.abs(rng.standard_normal((n, 1280), dtype=np.float32))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    planted = rng.choice(n, 100, replace=False).reshape(50, 2)
    rows[planted[:, 1]] = rows[planted[:, 0]] + rng.normal(0, 0.3 / 1280 ** 0.5, (50, 1280))
    codes = np.arange(n)
    keys = np.zeros((n, 1, 1, 3), dtype=np.uint8)
    keys[:, 0, 0, 0], keys[:, 0, 0, 1], keys[:, 0, 0, 2] = codes % 256, codes // 256 % 256, \
        codes // 65536
    start = time.perf_counter()
    search = find_duplicates(keys, **finder("embedding", StoredEmbeddings(rows)))
    searching = time.perf_counter() - start
    groups = sorted(map(tuple, search.groupby("group")["index"].apply(sorted)))
    recovered = groups == sorted(map(tuple, np.sort(planted, axis=1)))
    del rows, keys
    scale = {"hash": TARGET_N / n, "search": (TARGET_N / n) ** 2}
    print(f"\n{'step':44} {'N':>7} {'s':>7} {'images/s':>9} {'s at 50,000':>12} {'goal s':>7}")
    for name, key, seconds, goal in [
            ("find_duplicates(paths), phash, end to end", "hash", hashing, HASH_GOAL_S),
            ("search over cached 1280-d embeddings", "search", searching, SEARCH_GOAL_S)]:
        at_target = seconds * scale[key]
        shown = f"{at_target:12.1f}" if n == TARGET_N else f"{'~' + format(at_target, '.0f'):>12}"
        verdict = "met" if at_target < goal else "NOT met"
        print(f"{name:44} {n:7} {seconds:7.1f} {n / seconds:9.0f} {shown} {goal:7}  {verdict}")
    if n != TARGET_N:
        print(f"(~: extrapolated from N = {n:,}: hashing linearly, the search quadratically "
              f"(x{scale['search']:.0f}); not measured)")
    print(f"phash groups among the files: {table.attrs['n_groups']} ({len(table)} images); "
          f"embedding search: {len(groups)} groups, the 50 planted pairs "
          f"{'exactly' if recovered else 'NOT exactly'} (random non-negative unit vectors "
          "stand in for the features)")
    done(begin)


# ---------------------------------------------------------------------------- 4. openmoji
def describe(path: str, root: str, names: dict) -> str:
    relative = os.path.relpath(path, root)
    return f"{relative} ({names[relative]})"


def examples(table: pd.DataFrame, root: str, names: dict, count: int, skip=frozenset()) -> list:
    """``count`` pairs by file name, each a group's first member and the member most
    similar to it, from the groups that hold none of the paths in ``skip``."""
    lines = []
    for _, members in table.groupby("group", sort=True):
        if skip.intersection(members["path"]):
            continue
        first, others = members.iloc[0], members.iloc[1:]
        other = others.loc[others["similarity"].idxmax()]
        lines.append(f"  {describe(first['path'], root, names)}  ~  "
                     f"{describe(other['path'], root, names)}  {other['similarity']:.3f}"
                     + (f" (group of {len(members)})" if len(members) > 2 else ""))
        if len(lines) == count:
            break
    return lines


def accuracy(model, paths, y, splitter, groups=None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_score(model, paths, y, cv=splitter, groups=groups)


def openmoji(root: str, memory: str) -> None:
    begin = section(f"4. openmoji64: {root}")
    meta = pd.read_csv(os.path.join(root, "metadata.csv"))
    paths = np.array([os.path.join(root, p) for p in meta["path"]])
    y = meta["group"].to_numpy()
    names = dict(zip(meta["path"], meta["annotation"], strict=True))
    embedder = ImageEmbedder(memory=memory)
    start = time.perf_counter()
    embedder.fit(paths[:1]).transform(paths)  # fills the cache
    print(f"{len(paths):,} drawings, {len(np.unique(y))} classes (the 'group' column); "
          f"embedded in {time.perf_counter() - start:.0f}s")
    modes = [m for m in ("exact", "phash", "union") if finder(m, embedder) is not None]
    skipped = [m for m in ("exact", "union") if m not in modes]
    if skipped:
        print(f"(skipped: {', '.join(skipped)}: this version has no hashes= keyword)")
    tables = {}
    print(f"\n{'copies (threshold 0.93)':26} {'groups':>6} {'images':>6} {'largest':>7}"
          f" {'s':>5}")
    for mode in modes:
        start = time.perf_counter()
        tables[mode] = table = find_duplicates(paths, **finder(mode, embedder))
        sizes = table["group"].value_counts()
        print(f"{mode:26} {table.attrs['n_groups']:6} {len(table):6} "
              f"{sizes.max() if len(sizes) else 0:7} {time.perf_counter() - start:5.1f}")
    in_exact = frozenset(tables["exact"]["path"]) if "exact" in tables else frozenset()
    if "exact" in tables:
        print("\nexact copies (byte-identical files), e.g.:")
        print("\n".join(examples(tables["exact"], root, names, 4)))
    print("\nnear copies (phash), groups without an exact copy, e.g.:")
    print("\n".join(examples(tables["phash"], root, names, 4, in_exact)) or "  none")
    if "union" in tables:
        print("\ngroups only the embeddings find (no member in a phash group), e.g.:")
        print("\n".join(examples(tables["union"], root, names, 4,
                                 in_exact | frozenset(tables["phash"]["path"]))) or "  none")
    print("(a file, the member of its group most similar to it, their similarity)")

    train, test = train_test_split(np.arange(len(paths)), test_size=0.2, stratify=y,
                                   random_state=0)
    print(f"\nleakage of a random stratified 80/20 split ({len(train)} train, {len(test)} "
          f"test): test images with a copy in train")
    print(f"{'finder':10} {'leaked':>6} {'share':>6} {'exact':>6}")
    for mode in modes:
        leaks = leakage(paths[train], paths[test], **finder(mode, embedder))
        print(f"{mode:10} {len(leaks):6} {len(leaks) / len(test):6.1%}"
              f" {(leaks['kind'] == 'exact').sum():6}")

    model = make_pipeline(ImageEmbedder(memory=memory), LogisticRegression(max_iter=1000))
    start = time.perf_counter()
    scores = {"random (StratifiedKFold)": accuracy(
        model, paths, y, StratifiedKFold(5, shuffle=True, random_state=0))}
    for mode in [m for m in ("phash", "union") if m in modes]:
        groups = duplicate_groups(paths, **finder(mode, embedder))
        scores[f"groups of {mode} (StratifiedGroupKFold)"] = accuracy(
            model, paths, y, StratifiedGroupKFold(5, shuffle=True, random_state=0), groups)
    print(f"\naccuracy of ImageEmbedder + LogisticRegression, 5 folds "
          f"({time.perf_counter() - start:.0f}s)")
    print(f"{'split':42} {'accuracy':>14} {'random - this, points':>22}")
    base = scores["random (StratifiedKFold)"]
    for name, score in scores.items():
        se = score.std(ddof=1) / np.sqrt(len(score))
        versus = ""
        if score is not base:
            both = np.hypot(se, base.std(ddof=1) / np.sqrt(len(base)))
            versus = f"{100 * (base.mean() - score.mean()):+.1f} ± {100 * both:.1f}"
        print(f"{name:42} {score.mean():7.3f} ± {se:.3f} {versus:>22}")
    print("(± standard error over the folds; the difference's from both, folds not paired)")
    done(begin)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2,000 drawings + 400 copies, 1,000 characters, N = 10,000")
    parser.add_argument("--openmoji", default="../shared/data/openmoji64",
                        help="the OpenMoji folder (default ../shared/data/openmoji64)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    begin = time.perf_counter()
    print(f"mode: {'quick' if args.quick else 'full'}; {os.cpu_count()} cores; "
          f"find_duplicates {'has' if HAS_HASHES else 'lacks'} hashes=; "
          f"sizes: {', '.join(f'{k}={v:,}' for k, v in sizes.items())}")
    with tempfile.TemporaryDirectory() as memory:
        near_copies(sizes, memory)
        flipped_labels(sizes, memory)
        speed(sizes)
        if os.path.isfile(os.path.join(args.openmoji, "metadata.csv")):
            openmoji(args.openmoji, memory)
        else:
            print(f"\n## 4. openmoji64: skipped, no {args.openmoji}/metadata.csv "
                  "(pass --openmoji DIR)")
    print(f"\nwall time {time.perf_counter() - begin:.0f}s")


if __name__ == "__main__":
    main()
