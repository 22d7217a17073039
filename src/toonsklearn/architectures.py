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
    """``convs`` x (conv -> batch norm -> ReLU), then max pooling and dropout."""

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


#: Presets for the seed notebooks' networks: (blocks, pooling, default dense units).
ARCHITECTURES = {
    "simple": ((ConvBlock(32), ConvBlock(64), ConvBlock(128)), "avg", ()),
    "alexnet": _alexnet_family(11, 4, 1),
    "zfnet": _alexnet_family(7, 2, 2),
}


def build_conv_stack(x, blocks, *, l2: float = 0.0, block_dropout: float = 0.0):
    """Apply ``blocks`` (a sequence of :class:`ConvBlock`) to the Keras tensor ``x``."""
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
    """Pool or flatten, optional dense layers with dropout, then the output layer."""
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
