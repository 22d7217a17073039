"""An exported file run in its own runtime: LiteRT's interpreter or ONNX Runtime.

The same runtimes a phone or a server runs the file in, so what this module predicts is
what they predict; it needs neither TensorFlow nor the estimator.
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..exceptions import ImageInputError, MissingFileError, ModelFileError

__all__ = ["ExportedModel", "load_exported"]

_RUNTIME_OF = {".tflite": "litert", ".onnx": "onnx"}


def load_exported(path) -> ExportedModel:
    """Open a file :func:`~toonsklearn.export.export_model` wrote, in its own runtime.

    Parameters
    ----------
    path : str or path-like
        A ``.tflite`` (run by LiteRT's interpreter, package ``ai-edge-litert``) or
        ``.onnx`` file (run by ONNX Runtime, package ``onnxruntime``).

    Returns
    -------
    model : ExportedModel
        Its ``predict_proba`` takes uint8 pixels; ``metadata`` holds the JSON file
        beside it, or None when there is none.

    Examples
    --------
    >>> import os, tempfile
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.export import export_model, load_exported
    >>> X, y = make_toons(16, image_size=8, random_state=0)
    >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "toons.onnx")
    >>> _ = export_model(clf, path)
    >>> exported = load_exported(path)
    >>> exported.predict_proba(X[:2]).shape, exported.metadata["classes"]
    ((2, 2), ['jerry', 'tom'])
    """
    return ExportedModel(path)


class ExportedModel:
    """A LiteRT or ONNX file that takes uint8 pixels and returns probabilities.

    Made by :func:`load_exported`, which documents the parameters.

    Parameters
    ----------
    path : str or path-like
        A ``.tflite`` or ``.onnx`` file.

    Attributes
    ----------
    format : {"litert", "onnx"}
        The runtime that runs it.
    input_shape : tuple of (int, int, int)
        ``(height, width, channels)`` of the images it takes.
    names : tuple of (str, str)
        The names of its input and output tensors.
    metadata : dict or None
        The JSON file beside it, or None.

    Examples
    --------
    >>> from toonsklearn.export import ExportedModel
    >>> ExportedModel("missing.onnx")
    Traceback (most recent call last):
    ...
    toonsklearn.exceptions.MissingFileError: 'missing.onnx' does not exist...
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        suffix = os.path.splitext(self.path)[1].lower()
        if suffix not in _RUNTIME_OF:
            raise ModelFileError(f"{self.path!r} is not an exported model: its name must end "
                                 f"in .tflite (LiteRT) or .onnx (ONNX).", path=self.path)
        if not os.path.isfile(self.path):
            raise MissingFileError(f"{self.path!r} does not exist or is not a file.",
                                   path=self.path)
        self.format = _RUNTIME_OF[suffix]
        try:
            if self.format == "litert":
                self._open_litert()
            else:
                self._open_onnx()
        except ImportError as exc:
            from ._export import INSTALL_HINT

            raise ImportError(f"Running a {self.format} file needs its runtime, which is not "
                              f"installed: {INSTALL_HINT}.") from exc
        except Exception as exc:  # each runtime has errors of its own
            raise ModelFileError(
                f"{self.path!r} is not a {self.format} model its runtime can open "
                f"({type(exc).__name__}: {str(exc)[:300]}): it is empty, truncated, damaged "
                "or of the other format. Export it again.", path=self.path) from exc
        self.metadata = _read_metadata(self.path)

    def _open_litert(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=self.path)
        (inputs,), (outputs,) = (self._interpreter.get_input_details(),
                                 self._interpreter.get_output_details())
        self.input_shape = tuple(int(n) for n in inputs["shape"][1:])
        self.names = (inputs["name"], outputs["name"])
        self._batch = None

    def _open_onnx(self) -> None:
        import onnxruntime

        self._session = onnxruntime.InferenceSession(self.path,
                                                     providers=["CPUExecutionProvider"])
        (inputs,), (outputs,) = self._session.get_inputs(), self._session.get_outputs()
        self.input_shape = tuple(int(n) for n in inputs.shape[1:])
        self.names = (inputs.name, outputs.name)

    def predict_proba(self, images) -> np.ndarray:
        """Run the file on a batch of images.

        Parameters
        ----------
        images : array-like of shape (n_samples, height, width, channels)
            Pixels in 0-255 at the file's input size (``input_shape``); values that are
            not uint8 are rounded to it.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            What the estimator's ``predict_proba`` gives, as float32.

        Examples
        --------
        >>> import os, tempfile
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.export import export_model, load_exported
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "toons.tflite")
        >>> _ = export_model(clf, path)
        >>> load_exported(path).predict_proba(X[:3]).shape
        (3, 2)
        """
        images = self._pixels(images)
        if self.format == "onnx":
            return self._session.run([self.names[1]], {self.names[0]: images})[0]
        interpreter = self._interpreter
        index = interpreter.get_input_details()[0]["index"]
        if self._batch != len(images):
            interpreter.resize_tensor_input(index, images.shape)
            interpreter.allocate_tensors()
            self._batch = len(images)
        interpreter.set_tensor(index, images)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).copy()

    def _pixels(self, images) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim == 3 and self.input_shape[-1] == 1:
            images = images[..., np.newaxis]
        if images.ndim != 4 or images.shape[1:] != self.input_shape or len(images) == 0:
            raise ImageInputError(
                f"{self.path!r} takes a non-empty batch of images of shape (n, "
                f"{', '.join(map(str, self.input_shape))}); received shape {images.shape}. "
                "Resize them first (the JSON file beside it says how the model was fed).")
        if images.dtype == np.uint8:
            return np.ascontiguousarray(images)
        real = np.issubdtype(images.dtype, np.integer) or np.issubdtype(images.dtype,
                                                                        np.floating)
        if not real or not np.all(np.isfinite(images)) or images.min() < 0 \
                or images.max() > 255:
            raise ImageInputError(f"{self.path!r} takes real pixel values in 0-255; received "
                                  f"{images.dtype} values outside that range, or not real "
                                  "numbers.")
        return np.rint(images).astype(np.uint8)


def _read_metadata(path: str) -> dict | None:
    from ._export import metadata_path

    beside = metadata_path(path)
    if not os.path.isfile(beside):
        return None
    try:
        with open(beside, encoding="utf-8") as stream:
            metadata = json.load(stream)
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{beside!r}, the metadata beside {path!r}, is not readable JSON "
                             f"({exc}). Export the model again.", path=beside) from exc
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{beside!r}, the metadata beside {path!r}, holds a "
                             f"{type(metadata).__name__}, not the object export_model writes. "
                             "Export the model again.", path=beside)
    return metadata
