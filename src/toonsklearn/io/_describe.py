"""Read what a saved file says of itself, and store a model card in one, building nothing.

:func:`describe` and :func:`store_card` open the file with the checks ``load`` starts
with (the archive, its manifest, every member's size and SHA-256), but never unpickle,
build an estimator or a Keras model.
"""

from __future__ import annotations

import os

from ._archive import Archive, check_nested
from ._persist import TRUSTED_TYPES, _skops_member, _untrusted, check_target, write_file
from ._summary import CARD, card_bytes_of, read_card

__all__ = ["describe", "store_card"]


def describe(path: str | os.PathLike) -> dict:
    """What a saved file holds, read from its manifest and card: nothing is built.

    The file gets the checks :func:`~toonsklearn.io.load` starts with (a toonsklearn
    archive, its manifest well formed, every member the size and SHA-256 its manifest
    records, the estimator a skops file, no member compressed), but no object and no
    Keras model is built, nothing is unpickled, and any Keras version will do: use it
    on a file from elsewhere before loading it. What it returns is what the file says
    of itself; only ``load`` shows that the object builds.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`~toonsklearn.io.save`.

    Returns
    -------
    description : dict
        ``format_version`` (int); ``object``, the saved object's type name;
        ``versions``, the library versions that wrote it (package name to version);
        ``summary``, a dict of ``estimator`` (the final estimator's class name) and
        ``estimator_type`` (its full name), ``steps`` (a Pipeline's ``[name, class]``
        pairs, else None), ``classes`` (the first 1,000 class names, None if not
        fitted), ``n_classes``, ``multilabel``, ``input_size`` (the final estimator's
        ``image_shape_``, else None) and ``epochs_trained`` (rows of its ``history_``,
        else None), or None for a file saved before toonsklearn wrote summaries;
        ``card``, the stored model card (Markdown) or None; ``untrusted_types``, as
        :func:`~toonsklearn.io.untrusted_types` lists them.

    Raises
    ------
    ModelFileError
        The file is not one :func:`~toonsklearn.io.save` wrote, is truncated, was
        altered, or was written by a newer toonsklearn.
    MissingFileError
        The file does not exist.
    UnreadableFileError
        This process may not read the file; also a ``PermissionError``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from toonsklearn.io import describe, save
    >>> clf = LogisticRegression().fit([[0.0], [1.0]], ["jerry", "tom"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(clf, os.path.join(folder, "lr.toonsklearn"), card="# Model card")
    ...     about = describe(os.path.join(folder, "lr.toonsklearn"))
    >>> about["summary"]["estimator"], about["summary"]["classes"], about["card"]
    ('LogisticRegression', ['jerry', 'tom'], '# Model card')
    """
    with Archive(os.fspath(path)) as archive:
        data = _skops_member(archive)
        untrusted = [name for name in _untrusted(archive, data) if name not in TRUSTED_TYPES]
        for entry in archive.manifest["keras_models"]:
            check_nested(archive, entry["member"], archive.member(entry["member"]))
        manifest = archive.manifest
        card = read_card(archive)
    versions = {str(name): str(version) for name, version
                in manifest.get("versions", {}).items()}
    found = manifest.get("object")
    return {"format_version": manifest["format_version"],
            "object": found if isinstance(found, str) else None,
            "versions": versions, "summary": manifest.get("summary"), "card": card,
            "untrusted_types": untrusted}


def store_card(path: str | os.PathLike, card: str | None, *,
               out: str | os.PathLike | None = None) -> None:
    """Store a model card in a saved file, or replace or remove the one it holds.

    Every other member is copied byte for byte, once it matches its manifest, and the
    manifest (the versions that wrote the model, its summary) is kept: the model is
    exactly the one saved. The file is written beside its destination and renamed onto
    it when complete, so ``out`` may be ``path`` itself (the default) and a failure
    leaves any earlier file as it was.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`~toonsklearn.io.save`.
    card : str or None
        The model card in Markdown (see :func:`toonsklearn.inspection.model_card`);
        None removes a stored card.
    out : str or path-like, default=None
        Where to write the file with the card; None rewrites ``path`` in place.

    Raises
    ------
    ModelFileError
        ``path`` is not a file :func:`~toonsklearn.io.save` wrote, is truncated or was
        altered: nothing is written.
    NotSavableError
        ``card`` is not a str, or ``out`` is a folder or not a name this file system
        takes.
    MissingFileError
        ``path``, or the folder of ``out``, does not exist.
    NotWritableError
        This process may not write in the folder of ``out``; also a
        ``PermissionError``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from toonsklearn.io import describe, save, store_card
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     model = os.path.join(folder, "lr.toonsklearn")
    ...     save(LogisticRegression().fit([[0.0], [1.0]], ["jerry", "tom"]), model)
    ...     store_card(model, "# Model card")
    ...     describe(model)["card"]
    '# Model card'
    """
    data = card_bytes_of(card)
    source = os.fspath(path)
    target = check_target(source if out is None else out)
    with Archive(source) as archive:
        _skops_member(archive)  # a file of a newer format is refused, as load refuses it
        read_card(archive)
        members = {name: archive.member(name) for name in archive.manifest["members"]
                   if name != CARD}
        manifest = {key: value for key, value in archive.manifest.items()
                    if key != "members"}
    if data is not None:
        members[CARD] = data
    write_file(target, members, manifest)
