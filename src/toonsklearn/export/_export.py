"""A fitted estimator as a LiteRT or ONNX file that takes raw pixels, over Keras'
``model.export``, with a JSON file beside it that says how to feed and read it.

The exported network is ``model_`` with the training-only ``Random*`` layers left out,
the test-time views of ``tta`` averaged inside, uint8 pixels in and ``predict_proba``'s
columns out. Each file is run in its own runtime on probe images and compared with Keras
before it is kept.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import warnings

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.fixes import parse_version

from .. import __version__
from .._utils.replace import check_file_to_write, replacing, scratch_folder
from .._utils.targets import is_multilabel
from ..exceptions import NotSavableError
from ..loaders import ImageFolderLoader

__all__ = ["FORMATS", "export_model", "exportable_network", "metadata_path"]

#: The formats :func:`~toonsklearn.export.export_model` writes, each with the suffix
#: Keras gives its file.
FORMATS = {"litert": ".tflite", "onnx": ".onnx"}
#: The most an exported file's probabilities may differ from Keras' on the probe images.
TOLERANCE = 1e-4
INSTALL_HINT = 'pip install "toonsklearn[export]"'
_RUNTIMES = {"litert": ("ai_edge_litert",), "onnx": ("tf2onnx", "onnx", "onnxruntime")}
_LITERT_KERAS = "3.13"
_PROBES = 4


def export_model(estimator, path, format: str | None = None) -> dict:
    """Write a fitted estimator or Pipeline as a LiteRT or ONNX file.

    The file needs neither Python's TensorFlow nor toonsklearn to run. It takes a batch
    of raw uint8 pixels ``(n, height, width, channels)`` at the model's input size
    (scaling, the backbone's preprocessing and the ``tta`` views run inside) and returns
    what ``predict_proba`` returns: ``(n, n_classes)`` probabilities in ``classes_``
    order, two columns for two classes, or one per label for a multi-label model.
    Beside it, :func:`metadata_path` names a JSON file with the class names, the input
    size, the thresholds, and the versions that wrote it.

    Before a file is kept it is loaded in its own runtime (LiteRT's interpreter, ONNX
    Runtime) and run on probe images, which must give Keras' probabilities within
    1e-4. Both files are written beside ``path`` and renamed onto it when complete: a
    refused or failed export leaves no file, and any earlier one as it was. Needs
    ``pip install "toonsklearn[export]"``; LiteRT export needs Keras 3.13 or later.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted :class:`~toonsklearn.CNNClassifier`, :class:`~toonsklearn.TransferClassifier`,
        :class:`~toonsklearn.MultiLabelCNN` (or an ``ImageClassifierBase`` of your own),
        or a Pipeline of one after an optional :class:`~toonsklearn.ImageFolderLoader`
        (whose size, resizing and colour mode the JSON records: the caller applies
        them before the file sees the pixels), ``"passthrough"`` steps aside. Other
        steps are refused by name.
    path : str or path-like
        The file to write, conventionally ending in ``.tflite`` or ``.onnx``.
    format : {"litert", "onnx"} or None, default=None
        LiteRT (TensorFlow Lite's runtime: phones, small boards) or ONNX (ONNX Runtime
        on servers, in browsers through onnxruntime-web, and many other runtimes). None
        reads it from ``path``'s suffix, ``.tflite`` or ``.onnx``; a format that
        contradicts one of those suffixes is refused.

    Returns
    -------
    metadata : dict
        What the JSON file holds.

    Raises
    ------
    NotSavableError
        The estimator or a step cannot be exported, the converter refused a layer, or
        the written file does not run or does not match Keras; the message says which.
    NotFittedError
        The estimator is not fitted.

    See Also
    --------
    toonsklearn.export.load_exported : Run an exported file in its own runtime.

    Examples
    --------
    >>> import os, tempfile
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.export import export_model, load_exported
    >>> X, y = make_toons(16, image_size=8, random_state=0)
    >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    >>> folder = tempfile.mkdtemp()
    >>> metadata = export_model(clf, os.path.join(folder, "toons.tflite"))
    >>> sorted(os.listdir(folder)), metadata["classes"]
    (['toons.json', 'toons.tflite'], ['jerry', 'tom'])
    >>> exported = load_exported(os.path.join(folder, "toons.tflite"))
    >>> bool(abs(exported.predict_proba(X[:3]) - clf.predict_proba(X[:3])).max() < 1e-4)
    True
    """
    path = _check_path(path)
    format = _check_format(format, path)
    loader, final = _image_model(estimator)
    final._check_tta()
    _check_runtime(format)
    network = exportable_network(final)
    with scratch_folder() as scratch:
        written = os.path.join(scratch, "model" + FORMATS[format])
        probes = np.random.default_rng(0).integers(
            0, 256, (_PROBES, *network.input_shape[1:]), dtype=np.uint8)
        expected = np.asarray(network(probes, training=False))  # ONNX export needs a call
        _keras_export(network, written, format)
        runner = _load_runner(written, format)
        _check_outputs(runner, probes, expected, format)
        metadata = _metadata(final, loader, format, os.path.basename(path), runner.names)
        with replacing(path) as partial_file, replacing(metadata_path(path)) as partial_json:
            shutil.copyfile(written, partial_file)
            with open(partial_json, "w", encoding="utf-8") as stream:
                json.dump(metadata, stream, indent=2)
                stream.write("\n")
    return metadata


def metadata_path(path) -> str:
    """Where :func:`~toonsklearn.export.export_model` writes the JSON beside an exported file.

    Parameters
    ----------
    path : str or path-like
        An exported file.

    Returns
    -------
    json_path : str
        ``path`` with its suffix replaced by ``.json``.

    Examples
    --------
    >>> from toonsklearn.export import metadata_path
    >>> metadata_path("models/toons.tflite")
    'models/toons.json'
    """
    root, suffix = os.path.splitext(os.fspath(path))
    return (root if suffix.lower() != ".json" else os.fspath(path)) + ".json"


def exportable_network(estimator):
    """The Keras network an export writes: uint8 pixels in, ``predict_proba`` out.

    ``model_`` without its ``Random*`` augmentation layers (they act only in training,
    and converters mishandle them), the ``tta`` views averaged, and for two classes the
    one sigmoid output widened to the two columns ``predict_proba`` gives.

    Parameters
    ----------
    estimator : ImageClassifierBase
        A fitted toonsklearn estimator (not a Pipeline).

    Returns
    -------
    network : keras.Model
        Shares ``model_``'s layers and weights.

    Examples
    --------
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.export import exportable_network
    >>> X, y = make_toons(16, image_size=8, random_state=0)
    >>> clf = CNNClassifier(filters=(4,), epochs=1, augment="light", random_state=0).fit(X, y)
    >>> network = exportable_network(clf)
    >>> network.input.dtype, network.output_shape
    ('uint8', (None, 2))
    """
    import keras

    from ..estimators._tta import averaged_network

    model = estimator.model_
    inputs = keras.Input(model.input_shape[1:], dtype="uint8", name="pixels")
    # training=False held in the graph: without it, tf2onnx converts the batch norm of
    # a network fitted under augmentation in training mode (each batch's statistics)
    outputs = averaged_network(_without_random_layers(model), estimator.tta)(
        keras.ops.cast(inputs, "float32"), training=False)
    widened = estimator._proba_from_outputs(np.full((1, outputs.shape[-1]), 0.25))
    if widened.shape[1] != outputs.shape[-1]:  # one sigmoid for two classes
        outputs = keras.ops.concatenate([1.0 - outputs, outputs], axis=-1)
    return keras.Model(inputs, outputs, name=f"{model.name}_export")


def _without_random_layers(model):
    import keras

    def keep(layer):
        if type(layer).__name__.startswith("Random"):
            return keras.layers.Identity(name=layer.name)
        return layer  # the layer itself: its weights are the fitted ones

    if not any(type(layer).__name__.startswith("Random") for layer in model.layers):
        return model
    return keras.models.clone_model(model, clone_function=keep)


def _check_format(format, path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    implied = next((name for name, known in FORMATS.items() if suffix == known), None)
    if format is None:
        if implied is None:
            raise InvalidParameterError(
                f"Cannot tell the format from {path!r}: name the file *.tflite (LiteRT) or "
                "*.onnx (ONNX), or pass format='litert' or 'onnx'.")
        return implied
    if format not in FORMATS:
        raise InvalidParameterError(
            f"format must be one of {sorted(FORMATS)} or None; received format={format!r}.")
    if implied is not None and implied != format:
        raise InvalidParameterError(
            f"format={format!r} contradicts the name {path!r}, whose suffix means "
            f"{implied!r}: a runtime would not open it. Name it *{FORMATS[format]}, or "
            "leave format out.")
    return format


def _check_path(path) -> str:
    path = check_file_to_write(path, "export", "model.tflite")
    if os.path.isdir(metadata_path(path)):
        raise NotSavableError(f"Cannot export to {path!r}: {metadata_path(path)!r}, where its "
                              "JSON file goes, is a folder. Choose another name.", path=path)
    folder = os.path.dirname(os.path.abspath(path))
    longest = max(len(os.fsencode(os.path.basename(p))) for p in (path, metadata_path(path)))
    if longest > _name_max(folder):
        raise NotSavableError(f"Cannot export to {path!r}: the name (or its .json sibling's) "
                              "is longer than this file system allows. Choose a shorter "
                              "one.", path=path)
    return path


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows): the common limit
        return 255


def _image_model(estimator):
    """The optional ImageFolderLoader and the fitted image model of ``estimator``."""
    from ..estimators._base import ImageClassifierBase

    loader, final = None, estimator
    if isinstance(estimator, Pipeline):
        *before, (_, final) = estimator.steps
        for name, step in before:
            if step is None or step == "passthrough":
                continue
            if isinstance(step, ImageFolderLoader) and loader is None:
                loader = step
                continue
            raise NotSavableError(
                f"The Pipeline step {name!r} ({type(step).__name__}) cannot be exported: an "
                "exported model takes pixels, and only an ImageFolderLoader, first, may come "
                "before the estimator (the JSON file records its size and resizing for the "
                "caller to apply). Export the estimator alone and apply the step yourself.")
    if isinstance(final, Pipeline):
        raise NotSavableError("export_model takes one Pipeline, not one nested in another: "
                              "flatten it (its steps into the outer Pipeline's).")
    if not isinstance(final, ImageClassifierBase):
        raise NotSavableError(
            f"export_model exports toonsklearn's Keras estimators (CNNClassifier, "
            f"TransferClassifier, MultiLabelCNN, an ImageClassifierBase of your own); "
            f"received a {type(final).__name__}. A calibrated or other scikit-learn "
            "wrapper is not part of the Keras network: export the estimator inside it.")
    if getattr(final, "model_", None) is None:
        raise NotFittedError(f"This {type(final).__name__} is not fitted yet: call fit before "
                             "export_model.")
    return loader, final


def _check_runtime(format: str) -> None:
    import keras

    if format == "litert" and parse_version(keras.__version__) < parse_version(_LITERT_KERAS):
        raise NotSavableError(
            f"LiteRT export needs Keras {_LITERT_KERAS} or later; this is Keras "
            f"{keras.__version__}. pip install -U keras, or export with format='onnx'.")
    missing = [name for name in _RUNTIMES[format] if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"{format} export needs {', '.join(missing)}, which "
                          f"{'is' if len(missing) == 1 else 'are'} not installed: {INSTALL_HINT}.")


def _keras_export(network, written: str, format: str) -> None:
    try:
        with warnings.catch_warnings():
            # tf2onnx's own use of NumPy and TensorFlow names, not the caller's
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            network.export(written, format=format, verbose=False)
    except Exception as exc:
        raise NotSavableError(
            f"Keras' {format} export refused this model: {type(exc).__name__}: "
            f"{str(exc)[:500]}. A custom layer may have no {format} equivalent; try the "
            f"other format, or replace the layer.") from exc


def _load_runner(written: str, format: str):
    from ._runtime import ExportedModel

    try:
        return ExportedModel(written)
    except Exception as exc:
        raise NotSavableError(
            f"The {format} file Keras wrote does not load in its runtime "
            f"({type(exc).__name__}: {str(exc)[:500]}); nothing was kept. A layer of this "
            "model converts into something the runtime cannot run: try the other format."
        ) from exc


def _check_outputs(runner, probes, expected, format: str) -> None:
    try:
        got = runner.predict_proba(probes)
    except Exception as exc:
        raise NotSavableError(f"The {format} file Keras wrote fails to run in its runtime "
                              f"({type(exc).__name__}: {str(exc)[:500]}); nothing was kept."
                              ) from exc
    if got.shape != expected.shape or not np.all(np.abs(got - expected) <= TOLERANCE):
        gap = np.abs(got - expected).max() if got.shape == expected.shape else got.shape
        raise NotSavableError(
            f"The {format} file Keras wrote predicts differently from the Keras model on probe "
            f"images (largest gap {gap}, allowed {TOLERANCE}); nothing was kept. Try the "
            "other format.")


def _metadata(final, loader, format: str, file: str, names: tuple[str, str]) -> dict:
    import keras
    import tensorflow as tf

    height, width, channels = final.model_.input_shape[1:]
    multilabel = is_multilabel(final)
    classes = [c.item() if isinstance(c, np.generic) else c for c in final.classes_]
    decision = ({"rule": "threshold", "thresholds": [float(t) for t in
                                                     np.broadcast_to(final._thresholds(),
                                                                     (len(classes),))]}
                if multilabel else {"rule": "argmax"})
    versions = {"toonsklearn": __version__, "keras": keras.__version__,
                "tensorflow": tf.__version__}
    for package in _RUNTIMES[format]:
        versions[package] = _version_of(package)
    return {
        "format": format,
        "file": file,
        "estimator": type(final).__name__,
        "classes": classes,
        "multilabel": multilabel,
        "input": {"name": names[0], "shape": [None, height, width, channels],
                  "dtype": "uint8", "layout": "NHWC", "pixels": "0-255",
                  "colors": "grey" if channels == 1 else "RGB"},
        "output": {"name": names[1], "shape": [None, len(classes)], "dtype": "float32",
                   "meaning": "one probability per label" if multilabel
                   else "class probabilities in classes order, each row summing to 1"},
        "decision": decision,
        "tta": final.tta if final.tta is None or isinstance(final.tta, str) else int(final.tta),
        "loader": None if loader is None else {
            "size": list(loader.size) if loader.size is not None else None,
            "resize": loader.resize, "color_mode": loader.color_mode},
        "versions": versions,
    }


def _version_of(package: str) -> str | None:
    from importlib import metadata

    distribution = {"ai_edge_litert": "ai-edge-litert"}.get(package, package)
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
