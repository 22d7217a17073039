"""Test-time augmentation: the fixed views an estimator's ``tta`` averages, and the
network that averages them, built around a fitted ``model_``."""

from __future__ import annotations

import weakref

import keras

from ..layers import ImageView

__all__ = ["VIEWS", "averaged_network", "predicting_network", "view_layers"]

# estimator -> (its model_, its tta, the network averaging the views); an entry goes
# with its estimator, and predicting leaves the estimator's own attributes alone.
_BUILT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: The views ``tta=k`` takes the first ``k`` of: the image, its mirror, then zooms to
#: the centre (the share kept) and their mirrors. ``tta="flip"`` takes the first two.
VIEWS = ({"zoom": 1.0, "mirror": False}, {"zoom": 1.0, "mirror": True},
         {"zoom": 0.9, "mirror": False}, {"zoom": 0.9, "mirror": True},
         {"zoom": 0.8, "mirror": False}, {"zoom": 0.8, "mirror": True})


def view_layers(tta) -> list[ImageView]:
    """One :class:`~toonsklearn.layers.ImageView` per view that ``tta`` averages (one,
    the image itself, for None)."""
    count = 1 if tta is None else 2 if tta == "flip" else int(tta)
    return [ImageView(**view, name=f"view_{i}") for i, view in enumerate(VIEWS[:count])]


def averaged_network(model: keras.Model, tta) -> keras.Model:
    """``model`` applied to each view of its input, the outputs averaged; ``model``
    itself when ``tta`` takes one view. The layers are ``model``'s own, so the network
    follows its weights."""
    views = view_layers(tta)
    if len(views) == 1:
        return model
    inputs = keras.Input(model.input_shape[1:], name="pixels")
    outputs = keras.layers.Average(name="views_mean")(
        [model(view(inputs), training=False) for view in views])
    return keras.Model(inputs, outputs, name=f"{model.name}_tta")


def predicting_network(estimator) -> keras.Model:
    """The network that predicts for ``estimator``: its ``model_`` with the views of
    its ``tta`` averaged, built once per ``model_`` and ``tta``."""
    built = _BUILT.get(estimator)
    if built is None or built[0] is not estimator.model_ or built[1] != estimator.tta:
        built = (estimator.model_, estimator.tta,
                 averaged_network(estimator.model_, estimator.tta))
        _BUILT[estimator] = built
    return built[2]
