"""From-scratch CNN stacks (configurable blocks and the seed presets) and classification heads.

Every convolution and pooling uses ``padding="same"``, so a side never drops below
one pixel: the same builders serve 224x224 photos and the 8x1 "images" that a 2-D
feature matrix becomes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ARCHITECTURES", "ConvBlock", "build_conv_stack", "build_head"]


@dataclass(frozen=True)
class ConvBlock:
    """One block of a scratch CNN: ``convs`` x (conv -> batch norm -> ReLU), then pooling.

    :func:`~toonsklearn.architectures.build_conv_stack` builds it, adding dropout after
    the pooling when asked.

    Parameters
    ----------
    filters : int
        Filters of each convolution.
    kernel_size : int, default=3
        Side of each convolution's square kernel.
    strides : int, default=1
        Stride of the block's first convolution; the others use 1.
    convs : int, default=2
        Convolutions in the block.
    pool_size : int, default=2
        Side of the max-pooling window; 1 leaves the pooling out.
    pool_strides : int, default=2
        Stride of the max pooling.

    Examples
    --------
    >>> from toonsklearn.architectures import ARCHITECTURES, ConvBlock
    >>> ConvBlock(64)
    ConvBlock(filters=64, kernel_size=3, strides=1, convs=2, pool_size=2, pool_strides=2)
    >>> blocks, pooling, dense_units = ARCHITECTURES["simple"]
    >>> [block.filters for block in blocks], pooling
    ([32, 64, 128], 'avg')
    """

    filters: int
    kernel_size: int = 3
    strides: int = 1
    convs: int = 2
    pool_size: int = 2
    pool_strides: int = 2


def _alexnet_family(first_kernel: int, first_stride: int, second_stride: int) -> tuple:
    """AlexNet's five conv layers and two 4096-unit dense layers; ZFNet changes the strides.

    Dropout is not part of a preset: the estimator's ``dropout`` applies to every network.
    """
    blocks = (
        ConvBlock(96, first_kernel, strides=first_stride, convs=1, pool_size=3),
        ConvBlock(256, 5, strides=second_stride, convs=1, pool_size=3),
        ConvBlock(384, 3, convs=1, pool_size=1, pool_strides=1),
        ConvBlock(384, 3, convs=1, pool_size=1, pool_strides=1),
        ConvBlock(256, 3, convs=1, pool_size=3),
    )
    return blocks, "flatten", (4096, 4096)


#: The preset networks ``architecture=`` names, after the seed notebooks: each is
#: ``(blocks, pooling, dense_units)``, its conv blocks, pooling and default dense layers.
ARCHITECTURES = {
    "simple": ((ConvBlock(32), ConvBlock(64), ConvBlock(128)), "avg", ()),
    "alexnet": _alexnet_family(11, 4, 1),
    "zfnet": _alexnet_family(7, 2, 2),
}


def build_conv_stack(x, blocks, *, l2: float = 0.0, block_dropout: float = 0.0):
    """Apply ``blocks`` (a sequence of :class:`~toonsklearn.architectures.ConvBlock`) to ``x``.

    Every convolution and pooling pads to keep the size (``padding="same"``); the layers
    are named ``block<i>_conv<j>``, ``block<i>_bn<j>``, ``block<i>_relu<j>``,
    ``block<i>_pool`` and ``block<i>_dropout``.

    Parameters
    ----------
    x : KerasTensor
        The input: a symbolic tensor of shape ``(batch, height, width, channels)``.
    blocks : sequence of ConvBlock
        The blocks, applied in order.
    l2 : float, default=0.0
        L2 penalty on every convolution's kernel; 0 adds none.
    block_dropout : float, default=0.0
        Dropout rate after every block; 0 adds no dropout layer.

    Returns
    -------
    x : KerasTensor
        The last block's output.

    Examples
    --------
    >>> import keras
    >>> from toonsklearn.architectures import ConvBlock, build_conv_stack
    >>> inputs = keras.Input((32, 32, 3))
    >>> x = build_conv_stack(inputs, (ConvBlock(8), ConvBlock(16, convs=1)))
    >>> x.shape
    (None, 8, 8, 16)
    """
    from keras import layers, regularizers

    regularizer = regularizers.L2(l2) if l2 else None
    for i, block in enumerate(blocks):
        for j in range(block.convs):
            x = layers.Conv2D(
                block.filters,
                block.kernel_size,
                strides=block.strides if j == 0 else 1,
                padding="same",
                use_bias=False,
                kernel_regularizer=regularizer,
                name=f"block{i + 1}_conv{j + 1}",
            )(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"block{i + 1}_bn{j + 1}")(x)
            x = layers.Activation("relu", name=f"block{i + 1}_relu{j + 1}")(x)
        if block.pool_size > 1:
            x = layers.MaxPooling2D(block.pool_size, block.pool_strides, padding="same",
                                    name=f"block{i + 1}_pool")(x)
        if block_dropout:
            x = layers.Dropout(block_dropout, name=f"block{i + 1}_dropout")(x)
    return x


def build_head(x, n_outputs: int, activation: str, *, pooling: str = "avg",
               dense_units=(), dropout: float = 0.0, l2: float = 0.0):
    """Pool or flatten, optional dense layers with dropout, then the output layer.

    Parameters
    ----------
    x : KerasTensor
        The features: feature maps ``(batch, height, width, channels)``, pooled or
        flattened first, or a vector per image ``(batch, n_features)``, used as it is.
    n_outputs : int
        Units of the output layer, named ``predictions``.
    activation : str
        Activation of the output layer (``"sigmoid"``, ``"softmax"``...).
    pooling : {"avg", "flatten"}, default="avg"
        How feature maps become a vector: global average pooling, or flattening.
    dense_units : sequence of int, default=()
        Units of the ReLU dense layers between the features and the output.
    dropout : float, default=0.0
        Dropout rate before every dense layer and before the output; 0 adds none.
    l2 : float, default=0.0
        L2 penalty on the kernels of the dense layers and the output layer.

    Returns
    -------
    outputs : KerasTensor
        The output layer's tensor, of shape ``(batch, n_outputs)``.

    Examples
    --------
    >>> import keras
    >>> from toonsklearn.architectures import build_head
    >>> inputs = keras.Input((4, 4, 16))
    >>> outputs = build_head(inputs, 3, "softmax", dense_units=(8,), dropout=0.2)
    >>> model = keras.Model(inputs, outputs)
    >>> model.output_shape, [layer.name for layer in model.layers[1:]]
    ((None, 3), ['pool', 'head_dropout1', 'head_dense1', 'head_dropout', 'predictions'])
    """
    from keras import layers, regularizers

    regularizer = regularizers.L2(l2) if l2 else None
    if len(x.shape) == 4:
        pool = layers.GlobalAveragePooling2D if pooling == "avg" else layers.Flatten
        x = pool(name="pool" if pooling == "avg" else "flatten")(x)
    for i, units in enumerate(dense_units):
        if dropout:
            x = layers.Dropout(dropout, name=f"head_dropout{i + 1}")(x)
        x = layers.Dense(units, activation="relu", kernel_regularizer=regularizer,
                         name=f"head_dense{i + 1}")(x)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    return layers.Dense(n_outputs, activation=activation, kernel_regularizer=regularizer,
                        name="predictions")(x)
