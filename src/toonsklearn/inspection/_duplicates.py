"""Copies of images: groups of exact and near copies in one set, and test images that
have a copy in the training set.

Both compare fingerprints (:mod:`._fingerprints`) a block of rows at a time, in each
view (perceptual hashes, embeddings, or both): one matrix product of a block against
the rest, so the search never holds an n x n matrix, and the pairs found are folded
into connected components as they come.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
import scipy.sparse
from scipy.sparse.csgraph import connected_components
from sklearn.utils._param_validation import InvalidParameterError

from ..loaders import _check_on_error
from ._fingerprints import Fingerprints, check_images, copied_embedder, fingerprint

__all__ = ["DEFAULT_THRESHOLD", "duplicate_groups", "find_duplicates", "leakage"]

#: The similarity at which two images count as copies (see ``threshold`` below).
DEFAULT_THRESHOLD = 0.93
_BLOCK_ENTRIES = 1 << 22  # similarities computed at once: 16 MiB of float32
_MAX_PENDING_EDGES = 1 << 22  # pairs kept before they are folded into components

DUPLICATE_COLUMNS = ("group", "index", "path", "kind", "similarity")
LEAKAGE_COLUMNS = ("test_index", "test_path", "train_index", "train_path", "kind", "similarity")


def find_duplicates(X, *, threshold: float = DEFAULT_THRESHOLD, embedder=None,
                    hashes: bool = True, on_error: str = "raise") -> pd.DataFrame:
    """Find groups of exact and near copies among images.

    Two images are copies when their content is the same byte for byte (the files'
    bytes, or an array's pixels), or near copies when a similarity of theirs reaches
    ``threshold``. ``hashes`` and ``embedder`` choose the similarities:

    - ``hashes=True`` (the default): the share of equal bits of their perceptual
      hashes (``imagehash``'s ``phash``, 256 bits), which survives resizing,
      recompression and colour changes, but not a shift or crop of a few pixels.
    - ``embedder=`` and ``hashes=False``: the cosine similarity of their embeddings,
      which survives shifts and crops, but less so heavy recompression or shrinking.
    - ``embedder=`` and ``hashes=True``: both, each catching copies the other misses; a
      pair is a near copy when either similarity reaches ``threshold``.
    - ``hashes=False`` without an embedder: exact copies only.

    A group is a connected set of such pairs (so two members may be less similar to
    each other than ``threshold`` when a third links them). The search compares a
    block of images at a time, in memory that grows with the number of images, not
    its square.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, height, width[, channels])
        File paths (str or path-like), or images as an array (uint8 0-255, or numbers
        read as 0-255 pixels). Files are decoded small on threads, each once.
    threshold : float in (0, 1], default=0.93
        The similarity at which two images count as near copies, the same for hashes
        and embeddings. Lower finds looser copies and more false ones; 1.0 only
        identical hashes or embeddings. Unused when only exact copies are sought.
    embedder : ImageEmbedder or transformer or None, default=None
        None compares no embeddings. Else an object whose ``transform(X)`` gives one
        feature vector an image, such as :class:`~toonsklearn.embedding.ImageEmbedder`
        (a copy of it is used, so one not fitted yet stays so); the similarity is the
        cosine of two images' vectors.
    hashes : bool, default=True
        Whether to compare perceptual hashes (fast, no network; needs ``imagehash``).
        With ``embedder``, True compares both the hashes and the embeddings: a pair is
        a near copy when its hash similarity or its embedding cosine reaches
        ``threshold``, and its ``similarity`` is the larger of the two. Hashes catch
        resized, recompressed and recoloured copies, embeddings shifted and cropped
        ones, so the two together find more copies than either alone. False compares
        only the embeddings, or without ``embedder`` finds exact copies only (cheap,
        and ``imagehash`` is not needed).
    on_error : {"raise", "skip"}, default="raise"
        What to do with a file that is not a readable image (missing, a broken link,
        empty, truncated, not an image, a FIFO or device, over Pillow's
        ``MAX_IMAGE_PIXELS``): raise the error naming it, or leave it out of the
        result with a :class:`~toonsklearn.exceptions.SkippedImagesWarning` that
        counts each kind.

    Returns
    -------
    duplicates : pandas.DataFrame
        One row per image that belongs to a group of two or more, sorted by ``group``
        then ``index``; no rows when there is no copy. Columns:

        ``group`` : int
            0 to k-1, the largest group first (ties: the group with the smaller first
            index first).
        ``index`` : int
            The image's position in ``X``.
        ``path`` : str or None
            Its file, or None for an array.
        ``kind`` : {"exact", "near"}
            How it matches the group's first member (its smallest index): "exact" when
            their content is equal byte for byte, else "near". The first member is
            "exact" when the group holds an exact copy of it.
        ``similarity`` : float
            Its similarity to the group's first member, in [0, 1]; 1.0 for the first
            member and its exact copies.

        ``duplicates.attrs`` holds a summary: ``n_images`` (images compared),
        ``n_groups``, ``skipped`` (the paths ``on_error="skip"`` left out),
        ``method`` ("phash", "embedding", "phash+embedding", or "exact" with
        ``hashes=False`` and no embedder) and ``threshold``.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        ``threshold``, ``hashes`` or ``on_error`` is not one of the values above.
    toonsklearn.exceptions.ImageInputError
        ``X`` is no images: empty, one path instead of a list, arrays of mixed sizes.
    toonsklearn.exceptions.ToonsklearnError
        A file is not a readable image and ``on_error="raise"`` (the message names it).
    ImportError
        ``hashes`` is True and ``imagehash`` is missing: ``pip install
        "toonsklearn[audit]"``.

    See Also
    --------
    duplicate_groups : The groups as labels for ``GroupKFold``.
    leakage : Test images with a copy in the training images.

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.inspection import find_duplicates
    >>> X, _ = make_toons(6, image_size=32, random_state=0)
    >>> brighter = np.clip(X[4].astype(int) + 10, 0, 255).astype(np.uint8)
    >>> X = np.concatenate([X, X[1:2], brighter[np.newaxis]])  # 6: copy of 1, 7: of 4
    >>> duplicates = find_duplicates(X)
    >>> duplicates[["group", "index", "kind"]]
       group  index   kind
    0      0      1  exact
    1      0      6  exact
    2      1      4   near
    3      1      7   near
    >>> find_duplicates(X, hashes=False)[["group", "index", "kind"]]  # exact copies only
       group  index   kind
    0      0      1  exact
    1      0      6  exact
    """
    prints = _fingerprints(X, "find_duplicates", threshold, embedder, hashes, on_error)
    return _duplicate_table(prints, threshold)


def duplicate_groups(X, *, threshold: float = DEFAULT_THRESHOLD, embedder=None,
                     hashes: bool = True, on_error: str = "raise") -> np.ndarray:
    """Label each image with its group of copies, for group-aware cross-validation.

    Copies in both the training and the validation folds inflate a score: the model
    is tested on images it has seen. Passed as ``groups`` to ``GroupKFold``,
    ``StratifiedGroupKFold`` or ``GroupShuffleSplit``, these labels keep each group of
    copies on one side.

    Parameters
    ----------
    X : array-like of shape (n_samples,) or (n_samples, height, width[, channels])
        File paths or images, as in :func:`find_duplicates`.
    threshold : float in (0, 1], default=0.93
        As in :func:`find_duplicates`.
    embedder : ImageEmbedder or transformer or None, default=None
        As in :func:`find_duplicates`: None compares no embeddings.
    hashes : bool, default=True
        As in :func:`find_duplicates`: True compares perceptual hashes, and with
        ``embedder`` also embeddings (a pair is a near copy when either reaches
        ``threshold``: hashes catch resized, recompressed and recoloured copies,
        embeddings shifted and cropped ones); False only the embeddings, or without
        ``embedder`` exact copies only.
    on_error : {"raise", "skip"}, default="raise"
        As in :func:`find_duplicates`; a file left out gets a label of its own.

    Returns
    -------
    groups : ndarray of int, shape (n_samples,)
        The images of group g of :func:`find_duplicates` share the label g; every
        other image has a label of its own (k, k+1, ... in the order of ``X``).

    See Also
    --------
    find_duplicates : The groups as a table, with how close each copy is.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GroupShuffleSplit
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.inspection import duplicate_groups
    >>> X, y = make_toons(8, image_size=32, random_state=0)
    >>> X, y = np.concatenate([X, X[:2]]), np.concatenate([y, y[:2]])  # 8, 9: copies
    >>> groups = duplicate_groups(X)
    >>> groups
    array([0, 1, 2, 3, 4, 5, 6, 7, 0, 1])
    >>> splitter = GroupShuffleSplit(n_splits=5, test_size=0.3, random_state=0)
    >>> all(set(groups[train]).isdisjoint(groups[test])
    ...     for train, test in splitter.split(X, y, groups=groups))
    True
    """
    prints = _fingerprints(X, "duplicate_groups", threshold, embedder, hashes, on_error)
    return group_labels(_duplicate_table(prints, threshold), prints.n_images)


def group_labels(duplicates: pd.DataFrame, n_images: int) -> np.ndarray:
    """:func:`duplicate_groups`' labels from a :func:`find_duplicates` table of
    ``n_images`` images, for a caller that has the table already."""
    labels = np.full(n_images, -1, dtype=np.intp)
    labels[duplicates["index"].to_numpy()] = duplicates["group"].to_numpy()
    alone = labels < 0
    labels[alone] = duplicates.attrs["n_groups"] + np.arange(alone.sum())
    return labels


def leakage(train_X, test_X, *, threshold: float = DEFAULT_THRESHOLD, embedder=None,
            hashes: bool = True, on_error: str = "raise") -> pd.DataFrame:
    """Find test images that have an exact or near copy among the training images.

    A test image the model has seen, resized or recompressed, makes a test score
    too good. Each test image is compared with every training image, a block at a
    time; exact copies are the same file bytes (two lists of paths), or the same
    pixels (arrays, or a file decoded beside an array).

    Parameters
    ----------
    train_X : array-like of shape (n_train,) or (n_train, height, width[, channels])
        Training file paths or images, as in :func:`find_duplicates`.
    test_X : array-like of shape (n_test,) or (n_test, height, width[, channels])
        Test file paths or images.
    threshold : float in (0, 1], default=0.93
        As in :func:`find_duplicates`.
    embedder : ImageEmbedder or transformer or None, default=None
        As in :func:`find_duplicates`; one copy embeds both sets.
    hashes : bool, default=True
        As in :func:`find_duplicates`: True compares perceptual hashes, and with
        ``embedder`` also embeddings (a test image leaks when either similarity to a
        training image reaches ``threshold``: hashes catch resized, recompressed and
        recoloured copies, embeddings shifted and cropped ones); False only the
        embeddings, or without ``embedder`` exact copies only.
    on_error : {"raise", "skip"}, default="raise"
        As in :func:`find_duplicates`, for the files of both sets.

    Returns
    -------
    leaks : pandas.DataFrame
        One row per test image that has a copy in ``train_X``, with the training image
        most like it (an exact copy before any near one; with hashes and embeddings,
        the highest similarity of either; ties: the smaller index),
        sorted by ``similarity`` (highest first), then ``test_index``. Columns:
        ``test_index`` (int, position in ``test_X``), ``test_path`` (str, or None for
        an array), ``train_index``, ``train_path``, ``kind`` ("exact" or "near") and
        ``similarity`` (float in [0, 1], 1.0 for an exact copy). ``leaks.attrs``
        holds ``n_train``, ``n_test`` (images compared), ``skipped`` (paths left out
        of either set), ``method`` (as in :func:`find_duplicates`) and ``threshold``.

    See Also
    --------
    find_duplicates : Copies within one set.

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.inspection import leakage
    >>> X, _ = make_toons(10, image_size=32, random_state=0)
    >>> train, test = X[:6], np.concatenate([X[6:], X[2:3]])  # test 4 is train 2
    >>> leakage(train, test)[["test_index", "train_index", "kind", "similarity"]]
       test_index  train_index   kind  similarity
    0           4            2  exact         1.0
    """
    _check_parameters(threshold, hashes, on_error)
    train, train_is_paths = check_images(train_X, "leakage (train_X)")
    test, test_is_paths = check_images(test_X, "leakage (test_X)")
    embedder = copied_embedder(embedder, "leakage")
    mixed = train_is_paths != test_is_paths  # a file and an array: compare their pixels
    common = dict(embedder=embedder, hashes=hashes, on_error=on_error, pixel_digests=mixed,
                  stacklevel=2)
    train_prints = fingerprint(train, train_is_paths, owner="leakage (train_X)", **common)
    test_prints = fingerprint(test, test_is_paths, owner="leakage (test_X)", **common)
    return _leakage_table(train_prints, test_prints, threshold)


def _check_parameters(threshold, hashes, on_error) -> None:
    if (not isinstance(threshold, Real) or isinstance(threshold, bool)
            or not 0 < threshold <= 1):
        raise InvalidParameterError(
            f"threshold must be a number in (0, 1]; received threshold={threshold!r}. "
            f"Lower finds looser copies, 1.0 only identical ones; the default is "
            f"{DEFAULT_THRESHOLD}.")
    if not isinstance(hashes, (bool, np.bool_)):
        raise InvalidParameterError(
            f"hashes must be True or False; received hashes={hashes!r}. True compares "
            "perceptual hashes (and with embedder=, embeddings too); False only the "
            "embeddings, or without an embedder exact copies only.")
    _check_on_error(on_error)


def _fingerprints(X, owner, threshold, embedder, hashes, on_error) -> Fingerprints:
    """Check the parameters and ``X``, and fingerprint it (warnings point at the user's
    call of the public function that called this)."""
    _check_parameters(threshold, hashes, on_error)
    data, is_paths = check_images(X, owner)
    return fingerprint(data, is_paths, owner=owner, embedder=copied_embedder(embedder, owner),
                       hashes=bool(hashes), on_error=on_error, stacklevel=3)


def _block_rows(n_columns: int) -> int:
    return max(1, _BLOCK_ENTRIES // max(1, n_columns))


def _components(prints: Fingerprints, threshold: float) -> np.ndarray:
    """Component label of each kept image in the graph of its exact pairs and its near
    pairs in any view."""
    n = len(prints.kept)
    _, first, inverse = np.unique(prints.digests, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    pending = [(np.arange(n), first[inverse])]  # exact copies, each to its first copy
    n_pending = n
    for method, vectors in prints.views.items():
        for pair_rows, pair_cols in _near_pairs(vectors, prints.cut(method, threshold)):
            pending.append((pair_rows, pair_cols))
            n_pending += len(pair_rows)
            if n_pending > _MAX_PENDING_EDGES:  # fold into components: n edges stand for all
                labels = _label(pending, n)
                pending, n_pending = [(np.arange(n), _first_members(labels)[labels])], n
    return _label(pending, n)


def _near_pairs(vectors: np.ndarray, cut: float):
    """The pairs (i < j) whose dot product reaches ``cut``, a block of rows at a time:
    yields (rows, columns) of each block that has any."""
    n = len(vectors)
    rows = _block_rows(n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        hits = vectors[start:stop] @ vectors[start:].T >= cut
        hits[:, : stop - start] &= np.triu(np.ones((stop - start,) * 2, dtype=bool), k=1)
        pair_rows, pair_cols = np.nonzero(hits)
        del hits
        if len(pair_rows):
            yield pair_rows + start, pair_cols + start


def _label(edges: list, n: int) -> np.ndarray:
    rows = np.concatenate([r for r, _ in edges])
    cols = np.concatenate([c for _, c in edges])
    graph = scipy.sparse.coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)),
                                    shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _first_members(labels: np.ndarray) -> np.ndarray:
    """The smallest member of each component, by component label."""
    first = np.full(labels.max(initial=-1) + 1, len(labels), dtype=np.intp)
    np.minimum.at(first, labels, np.arange(len(labels)))
    return first


def _text(values) -> pd.Series:
    """A column of str (or None) kept as object dtype, the same on every pandas version
    and in an empty table (pandas 3 would infer its own string dtype)."""
    return pd.Series(np.asarray(values, dtype=object).tolist(), dtype=object)


def _duplicate_table(prints: Fingerprints, threshold: float) -> pd.DataFrame:
    labels = _components(prints, threshold) if len(prints.kept) else np.empty(0, np.intp)
    sizes = np.bincount(labels)
    first = _first_members(labels)
    grouped = np.flatnonzero(sizes[labels] >= 2)  # kept images in a group, in X's order
    components = np.flatnonzero(sizes >= 2)
    order = np.lexsort((first[components], -sizes[components]))  # largest, then earliest
    group_of = np.empty(len(sizes), dtype=np.intp)
    group_of[components[order]] = np.arange(len(components))
    leaders = first[labels[grouped]]
    similarity = np.zeros(len(grouped))  # the highest of the views (none: exact copies)
    for method, vectors in prints.views.items():
        dots = np.einsum("ij,ij->i", vectors[grouped], vectors[leaders])
        similarity = np.maximum(similarity, prints.similarity(method, dots))
    exact = prints.digests[grouped] == prints.digests[leaders]
    copies = np.bincount(labels[grouped], weights=exact, minlength=len(sizes))  # incl. leader
    is_leader = grouped == leaders
    exact &= ~is_leader | (copies[labels[grouped]] >= 2)
    similarity[exact | is_leader] = 1.0
    positions = prints.kept[grouped]
    table = pd.DataFrame({
        "group": group_of[labels[grouped]].astype(np.int64),
        "index": positions.astype(np.int64),
        "path": _text(prints.path(positions)),
        "kind": _text(np.where(exact, "exact", "near")),
        "similarity": similarity.astype(np.float64),
    }, columns=list(DUPLICATE_COLUMNS))
    table = table.sort_values(["group", "index"], kind="stable", ignore_index=True)
    table.attrs = {"n_images": len(prints.kept), "n_groups": len(components),
                   "skipped": list(prints.skipped), "method": prints.method,
                   "threshold": float(threshold)}
    return table


def _leakage_table(train: Fingerprints, test: Fingerprints, threshold: float) -> pd.DataFrame:
    n_test = len(test.kept)
    best = np.zeros(n_test, dtype=np.intp)  # per test image, the most similar in any view
    best_similarity = np.full(n_test, -1.0)  # below any view's, so the first view sets it
    near = np.zeros(n_test, dtype=bool)  # some view reaches its cut
    views = train.views if len(train.kept) else {}
    for method, train_vectors in views.items():
        nearest, dots = _nearest(test.views[method], train_vectors)
        similarity = train.similarity(method, dots)
        better = (similarity > best_similarity) | ((similarity == best_similarity)
                                                   & (nearest < best))
        best[better], best_similarity[better] = nearest[better], similarity[better]
        near |= dots >= train.cut(method, threshold)
    first_copy = {}
    for position, digest in enumerate(train.digests.tolist()):
        first_copy.setdefault(digest, position)
    exact_match = np.array([first_copy.get(d, -1) for d in test.digests.tolist()],
                           dtype=np.intp).reshape(n_test)
    exact = exact_match >= 0
    best[exact] = exact_match[exact]
    leaked = exact | near
    similarity = np.where(exact, 1.0, best_similarity)
    test_positions, train_positions = test.kept[leaked], train.kept[best[leaked]]
    table = pd.DataFrame({
        "test_index": test_positions.astype(np.int64),
        "test_path": _text(test.path(test_positions)),
        "train_index": train_positions.astype(np.int64),
        "train_path": _text(train.path(train_positions)),
        "kind": _text(np.where(exact[leaked], "exact", "near")),
        "similarity": similarity[leaked].astype(np.float64),
    }, columns=list(LEAKAGE_COLUMNS))
    table = table.sort_values(["similarity", "test_index"], ascending=[False, True],
                              kind="stable", ignore_index=True)
    table.attrs = {"n_train": len(train.kept), "n_test": n_test,
                   "skipped": train.skipped + test.skipped, "method": train.method,
                   "threshold": float(threshold)}
    return table


def _nearest(test_vectors: np.ndarray, train_vectors: np.ndarray) -> tuple:
    """For each test vector, the train vector of the highest dot product (ties: the
    first) and that product, a block of test rows at a time."""
    n_test = len(test_vectors)
    nearest = np.zeros(n_test, dtype=np.intp)
    best_dot = np.full(n_test, -np.inf)
    rows = _block_rows(len(train_vectors))
    for start in range(0, n_test, rows):
        dots = test_vectors[start:start + rows] @ train_vectors.T
        nearest[start:start + rows] = dots.argmax(axis=1)
        best_dot[start:start + rows] = dots.max(axis=1)
    return nearest, best_dot
