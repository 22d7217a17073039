"""Save and load: the safe file of a fitted estimator or Pipeline (see :mod:`toonsklearn.io`)."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import platform
import warnings
import zipfile
from collections.abc import Iterable
from importlib import metadata

from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its start-up lines)

# isort: split
import keras
import skops.io as skops_io
from sklearn.base import BaseEstimator
from sklearn.utils import Bunch

from .. import __version__
from .. import layers as _layers  # noqa: F401 (registers the layers saved models use)
from .._utils.replace import check_file_to_write, scratch_folder
from ..embedding import ImageEmbedder
from ..estimators import CNNClassifier, MultiLabelCNN, TransferClassifier
from ..exceptions import (
    ModelVersionWarning,
    NotSavableError,
    UntrustedTypeError,
    user_stacklevel,
)
from ..loaders import ImageFolderLoader
from ..transformers import ImageTransformer
from ._archive import (
    KERAS_CONFIG,
    SKOPS,
    Archive,
    check_keras,
    check_skops,
    declared_weights,
    write,
)
from ._stand_ins import STAND_INS, swap_in, swap_out, type_name
from ._summary import CARD, card_bytes_of, read_card, summary

__all__ = ["FORMAT_VERSION", "TRUSTED_TYPES", "check_target", "load", "save",
           "untrusted_types", "write_file"]

# The public FORMAT_VERSION (documented in the package's __init__). A model card and the
# manifest's summary came without a new version: readers of format 1 check only the
# members they read, so they load a file with a card as before.
FORMAT_VERSION = 1

# The public SAFE_KERAS (documented in the package's __init__).
SAFE_KERAS = (3, 14)

_VERSIONED = ("toonsklearn", "scikit-learn", "keras")

# The public TRUSTED_TYPES (documented in the package's __init__).
TRUSTED_TYPES: tuple[str, ...] = tuple(sorted({
    *(type_name(cls) for cls in (CNNClassifier, TransferClassifier, MultiLabelCNN,
                                 ImageEmbedder, ImageFolderLoader, ImageTransformer, Bunch,
                                 *STAND_INS)),
    "scikeras.utils.transformers.ClassifierLabelEncoder",
    # what CalibratedClassifierCV holds per fold: a safe file of a calibrated model
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    "scikeras.utils.transformers.TargetReshaper",
    "numpy.dtype",
}))


# ------------------------------------------------------------------------------ save
def save(obj: BaseEstimator, path: str | os.PathLike, *, card: str | None = None) -> None:
    """Write a fitted (or unfitted) estimator or Pipeline to ``path`` as a safe file.

    The object is not changed. The file is written beside ``path`` and renamed onto it
    when complete, so a failure part-way leaves any earlier file at ``path`` as it was.
    A ``joblib.Memory`` parameter is stored as its folder, which ``memory=`` accepts
    the same way. The manifest also records a summary (the estimator, a Pipeline's
    steps, the classes, the input size) that :func:`~toonsklearn.io.describe` reads
    without building anything.

    Parameters
    ----------
    obj : estimator
        A toonsklearn estimator or transformer, a scikit-learn estimator, or a
        ``Pipeline`` or ensemble of them. For a search, save its ``best_estimator_``.
    path : str or path-like
        The file to write, conventionally ``*.toonsklearn``.
    card : str, default=None
        A model card in Markdown (see :func:`toonsklearn.inspection.model_card`),
        stored as the member ``model_card.md`` (UTF-8), its size and SHA-256 in the
        manifest like every member's; :func:`~toonsklearn.io.describe` returns it.

    Raises
    ------
    NotSavableError
        ``obj`` holds something a safe file cannot store (a Keras callback, a Python
        function, a class), or a Keras layer that ``load`` could never rebuild (a
        ``Lambda`` of a Python lambda, a layer without ``get_config`` or not registered
        with Keras); the message names the attribute or the layer. Or ``path`` is not a
        name this file system takes (a NUL byte, too long). Or ``card`` is not a str, or
        holds characters UTF-8 cannot encode.
    MissingFileError
        The folder of ``path`` does not exist.
    NotWritableError
        This process may not write in the folder of ``path``; also a
        ``PermissionError``.

    Examples
    --------
    >>> import numpy as np, os, tempfile, zipfile
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.io import save
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.integers(0, 256, (16, 8, 8, 3), dtype=np.uint8), np.array([0, 1] * 8)
    >>> clf = CNNClassifier(epochs=1, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(clf, os.path.join(folder, "toons.toonsklearn"))  # load(...) reads it back
    ...     sorted(zipfile.ZipFile(os.path.join(folder, "toons.toonsklearn")).namelist())
    ['estimator.skops', 'keras/0.keras', 'manifest.json']
    """
    if not isinstance(obj, BaseEstimator):
        raise NotSavableError(f"save writes scikit-learn estimators and Pipelines; received "
                              f"a {type(obj).__name__}. Wrap it in an estimator or use joblib.")
    card_bytes = card_bytes_of(card)
    path = check_target(path)
    models: dict[int, tuple[str, keras.Model, str]] = {}
    stripped = swap_out(obj, models, type(obj).__name__, {})
    try:
        members = {SKOPS: skops_io.dumps(stripped)}
    except Exception as exc:
        raise NotSavableError(f"skops cannot store part of this {type(obj).__name__} ({exc}); "
                              "joblib.dump stores it, for files you only ever load "
                              "yourself.") from exc
    placed = []
    with scratch_folder() as scratch:
        for member, model, where in models.values():
            members[member] = _keras_bytes(model, where, os.path.join(scratch, "model.keras"))
            placed.append({"member": member, "attribute": where})
    if card_bytes is not None:
        members[CARD] = card_bytes
    write_file(path, members, {"format": "toonsklearn", "format_version": FORMAT_VERSION,
                               "object": type_name(type(obj)), "versions": _versions(),
                               "keras_models": placed, "summary": summary(obj)})


def check_target(path) -> str:
    """``path`` as a str, once it is a name save can write: a file in a folder that
    exists."""
    return check_file_to_write(path, "save", "model.toonsklearn")


def write_file(path: str, members: dict[str, bytes], manifest: dict) -> None:
    """:func:`write`, a name too long for the file system told as such."""
    try:
        write(path, members, manifest)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        raise NotSavableError(f"Cannot save to {path!r}: the file name is longer than this "
                              f"file system allows ({exc.strerror}). Choose a shorter name.",
                              path=path) from None


def _keras_bytes(model: keras.Model, where: str, file: str) -> bytes:
    """``model`` in Keras' format, once it is sure that ``load`` can rebuild it: no
    layer runs Python code stored in the file, and every layer can describe itself."""
    for layer in _inner_layers(model):
        problem = _layer_problem(layer)
        if problem:
            raise NotSavableError(
                f"{where} holds the Keras layer {layer.name!r} ({type(layer).__name__}), "
                f"which {problem}. joblib.dump stores it, for files you only ever load "
                "yourself.")
    try:
        model.save(file)
    except Exception as exc:
        raise NotSavableError(f"Keras cannot store {where} ({exc}).") from exc
    with open(file, "rb") as handle:
        data = handle.read()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared_weights(json.loads(archive.read(KERAS_CONFIG)))
    except Exception as exc:
        culprit = next((layer for layer in _inner_layers(model) if _refused(layer)), None)
        named = (f" (its layer {culprit.name!r}, a {type(culprit).__name__})"
                 if culprit is not None else "")
        raise NotSavableError(
            f"{where} is a Keras model that load could not rebuild with safe_mode=True"
            f"{named}: {exc}. Register custom layers with "
            "keras.saving.register_keras_serializable, or use joblib.dump for files you "
            "only ever load yourself.") from exc
    return data


def _inner_layers(model: keras.Model) -> list:
    """Every layer inside ``model``, however deeply nested."""
    return list(model._flatten_layers(include_self=False, recursive=True))


def _layer_problem(layer) -> str | None:
    """Why ``load`` could never rebuild ``layer``, or None."""
    try:
        config = layer.get_config()
    except NotImplementedError:
        return ("has no get_config, so Keras cannot store it: implement get_config (and "
                "register the class with keras.saving.register_keras_serializable)")
    if isinstance(layer, keras.layers.Lambda) and isinstance(config.get("function"), dict) \
            and config["function"].get("class_name") == "__lambda__":
        return ("runs a Python lambda, stored as code that load refuses to run (Keras' "
                "safe_mode): write it as a layer class registered with "
                "keras.saving.register_keras_serializable")
    return None


def _refused(layer) -> bool:
    """Whether ``layer`` alone fails to rebuild from its configuration in safe mode."""
    if getattr(layer, "layers", None):  # a model: its own layers are tried one by one
        return False
    try:
        declared_weights(keras.saving.serialize_keras_object(layer))
    except Exception:
        return True
    return False


def _versions() -> dict:
    versions = {"python": platform.python_version(), "toonsklearn": __version__}
    for package in ("scikit-learn", "keras", "tensorflow", "skops", "numpy", "scikeras"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


# ------------------------------------------------------------------------------ load
def load(path: str | os.PathLike, *, trusted: Iterable[str | type] = ()) -> BaseEstimator:
    """Read what :func:`~toonsklearn.io.save` wrote, running no code from the file.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`~toonsklearn.io.save`.
    trusted : iterable of str or type, default=()
        Types to build beyond :data:`~toonsklearn.io.TRUSTED_TYPES` and skops' own
        allow-list, e.g. your own transformer. Name only types whose code you trust;
        :func:`~toonsklearn.io.untrusted_types` lists a file's.

    Returns
    -------
    estimator : object
        The object as it was saved: it predicts as the original did.

    Raises
    ------
    ModelFileError
        The file is not one :func:`~toonsklearn.io.save` wrote, is truncated, or was
        altered: a Keras model among them that declares more weights than the file
        stores is refused before Keras builds it.
    UntrustedTypeError
        The file holds types outside the allow-list; nothing was built.
    MissingFileError
        The file does not exist.
    UnreadableFileError
        This process may not read the file; also a ``PermissionError``.
    ImportError
        The installed Keras is older than 3.14, whose ``safe_mode`` can be bypassed.

    Examples
    --------
    >>> from toonsklearn.io import load
    >>> try:
    ...     load(__file__)  # a Python file, not a saved model
    ... except ValueError as err:
    ...     print(type(err).__name__)
    ModelFileError
    """
    path = os.fspath(path)
    with Archive(path) as archive:
        data = _skops_member(archive)
        read_card(archive)  # an altered card is refused like any other member
        allowed = _allow_list(trusted)
        refused = [name for name in _untrusted(archive, data) if name not in allowed]
        if refused:
            raise UntrustedTypeError(
                f"{path!r} holds types toonsklearn does not trust: {', '.join(refused)}. "
                "Nothing was loaded. If you trust their code, pass "
                f"trusted={refused!r} to toonsklearn.io.load.", path=path, types=refused)
        _check_keras_version()
        try:
            obj = skops_io.loads(data, trusted=sorted(allowed))
        except Exception as exc:
            raise archive.error(f"its estimator could not be rebuilt ({exc}).") from exc
        models = {entry["member"]: _load_keras(archive, entry["member"])
                  for entry in archive.manifest["keras_models"]}
        try:
            obj = swap_in(obj, models, {})
        except Exception as exc:
            raise archive.error(f"its estimator could not be rebuilt ({exc}); the file was "
                                "altered or damaged.") from exc
        _warn_on_other_versions(archive.manifest, path)
    return obj


def untrusted_types(path: str | os.PathLike) -> list[str]:
    """List the types in a saved file that :func:`~toonsklearn.io.load` builds only if trusted.

    Run it on a file from elsewhere before loading it: these are the types to pass to
    ``load(path, trusted=...)``, once you trust their code. Nothing is built.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`~toonsklearn.io.save`.

    Returns
    -------
    types : list of str
        The names of the types outside :data:`~toonsklearn.io.TRUSTED_TYPES` and
        skops' own allow-list, sorted; empty when ``load`` needs no ``trusted=``.

    Raises
    ------
    ModelFileError
        The file is not one :func:`~toonsklearn.io.save` wrote, is truncated, or was
        altered.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.linear_model import LogisticRegression
    >>> from toonsklearn.io import save, untrusted_types
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(LogisticRegression(), os.path.join(folder, "lr.toonsklearn"))
    ...     untrusted_types(os.path.join(folder, "lr.toonsklearn"))
    []
    """
    with Archive(os.fspath(path)) as archive:
        data = _skops_member(archive)
        return [name for name in _untrusted(archive, data) if name not in TRUSTED_TYPES]


def _skops_member(archive: Archive) -> bytes:
    version = archive.manifest["format_version"]
    if version > FORMAT_VERSION:
        raise archive.error(f"it was written by a newer toonsklearn (file format {version}; "
                            f"this is toonsklearn {__version__}, which reads format "
                            f"{FORMAT_VERSION} and older). Upgrade toonsklearn to load it.")
    data = archive.member(SKOPS)
    check_skops(archive, data)
    return data


def _allow_list(trusted) -> set[str]:
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    return set(TRUSTED_TYPES) | {name if isinstance(name, str) else type_name(name)
                                 for name in trusted}


def _untrusted(archive: Archive, data: bytes) -> list[str]:
    try:
        return skops_io.get_untrusted_types(data=data)
    except Exception as exc:
        raise archive.error(f"its estimator is not a readable skops file ({exc}); the file "
                            "was altered or damaged.") from exc


def _check_keras_version() -> None:
    installed = tuple(int(part) for part in keras.version().split(".")[:2])
    if installed < SAFE_KERAS:
        raise ImportError(
            f"toonsklearn.io.load needs Keras {'.'.join(map(str, SAFE_KERAS))} or later; "
            f"this is Keras {keras.version()}, whose safe_mode a crafted model file can "
            "bypass to run code (CVE-2025-1550, CVE-2025-9906, CVE-2026-1462). Upgrade: "
            "pip install -U keras.")


def _load_keras(archive: Archive, member: str) -> keras.Model:
    data = archive.member(member)
    check_keras(archive, member, data)
    with scratch_folder() as scratch:
        file = os.path.join(scratch, "model.keras")  # the suffix picks Keras' own format
        with open(file, "wb") as handle:
            handle.write(data)
        try:
            return keras.saving.load_model(file, safe_mode=True)
        except Exception as exc:
            raise archive.error(f"the Keras model {member!r} could not be loaded with "
                                f"safe_mode=True ({exc}).") from exc


def _warn_on_other_versions(manifest: dict, path: str) -> None:
    saved = manifest.get("versions", {})
    now = _versions()
    differ = [f"{name} {saved[name]} (now {now.get(name)})" for name in _VERSIONED
              if name in saved and saved[name] != now.get(name)]
    if differ:
        warnings.warn(f"{path!r} was saved with {', '.join(differ)}; it loaded, but its "
                      "predictions may differ. Refit it, or install the versions it was "
                      "saved with.", ModelVersionWarning, stacklevel=user_stacklevel())
