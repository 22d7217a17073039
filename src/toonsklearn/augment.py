"""Named augmentation policies and dict specs, turned into Keras preprocessing layers.

The layers sit at the start of the estimator's model, so they run on every batch
of every epoch during ``fit`` and do nothing at predict time.
"""

from __future__ import annotations

from numbers import Real

from sklearn.utils._param_validation import InvalidParameterError

__all__ = ["POLICIES", "augmentation_layers"]

#: The named policies ``augment=`` takes, each mapped to the dict spec it stands for
#: (see :func:`~toonsklearn.augment.augmentation_layers` for the keys).
POLICIES = {
    "light": {"flip": "horizontal", "rotation": 0.05, "zoom": 0.1},
    "strong": {"flip": "horizontal", "rotation": 0.15, "zoom": 0.2, "translation": 0.1,
               "contrast": 0.2, "brightness": 0.2},
}
_KNOWN = ("flip", "rotation", "zoom", "translation", "contrast", "brightness")
_FLIPS = ("horizontal", "vertical", "horizontal_and_vertical")
# key -> (what its factor is a fraction of, the lowest value Keras accepts)
_FACTORS = {
    "rotation": ("a full turn", -1.0), "zoom": ("the size", -1.0),
    "translation": ("the size", -1.0), "contrast": ("the range", 0.0),
    "brightness": ("the range", -1.0),
}


def _validate(augment) -> dict:
    if augment is None:
        return {}
    if isinstance(augment, str):
        if augment not in POLICIES:
            raise InvalidParameterError(
                f"Unknown augment policy {augment!r}; use one of {sorted(POLICIES)}, a dict "
                f"with keys from {_KNOWN}, or None."
            )
        return POLICIES[augment]
    if isinstance(augment, dict):
        unknown = sorted(set(augment) - set(_KNOWN))
        if unknown:
            raise InvalidParameterError(f"Unknown augment keys {unknown}; known keys are {_KNOWN}.")
        for key, value in augment.items():
            _check_value(key, value)
        return augment
    raise InvalidParameterError(
        f"augment must be None, a policy name or a dict; received {augment!r}.")


def _check_value(key: str, value) -> None:
    """Refuse a value Keras would ignore or misread; None, False and 0 turn a key off."""
    if value is None or value is False or (isinstance(value, Real) and value == 0):
        return
    if key == "flip":
        if value not in _FLIPS:
            raise InvalidParameterError(
                f"augment['flip'] must be one of {list(_FLIPS)}, or None to turn it off; "
                f"received {value!r}."
            )
    elif not _is_factor(value, _FACTORS[key][1]):
        meaning, low = _FACTORS[key]
        raise InvalidParameterError(
            f"augment[{key!r}] must be a factor in [{low:g}, 1] (a fraction of {meaning}) "
            f"or a (lower, upper) pair of them, as Keras takes it, or None to turn it off; "
            f"received {value!r}."
        )


def _is_factor(value, low: float) -> bool:
    def number(v) -> bool:
        return isinstance(v, Real) and not isinstance(v, bool) and low <= v <= 1

    if isinstance(value, (tuple, list)):
        return len(value) == 2 and all(map(number, value)) and value[0] <= value[1]
    return number(value)


def augmentation_layers(augment, seed: int | None = None) -> list:
    """Build the Keras layers for ``augment`` (None, ``"light"``, ``"strong"`` or a dict).

    A dict maps ``flip`` to ``"horizontal"``, ``"vertical"`` or
    ``"horizontal_and_vertical"``, and ``rotation``, ``zoom``, ``translation``,
    ``contrast``, ``brightness`` to a factor in [-1, 1] ([0, 1] for contrast: a
    fraction of a turn, of the size, or of the range) or a ``(lower, upper)`` pair, as
    the Keras layers take them; None, False or 0 leaves a key out. Other values raise a
    ``ValueError`` that says what is allowed. Pixels are expected in 0-255.

    Parameters
    ----------
    augment : {"light", "strong"} or dict or None
        A policy name from :data:`~toonsklearn.augment.POLICIES`, a dict spec as above,
        or None for no augmentation.
    seed : int or None, default=None
        Seeds every layer's random draws; None draws anew each run.

    Returns
    -------
    layers : list of keras.layers.Layer
        One random preprocessing layer per key that is on, in the spec's order, to
        apply one after the other; empty for None. Called with ``training=False``,
        as a model calls them to predict, they leave images unchanged.

    Examples
    --------
    >>> from toonsklearn.augment import augmentation_layers
    >>> [type(layer).__name__ for layer in augmentation_layers("light", seed=0)]
    ['RandomFlip', 'RandomRotation', 'RandomZoom']
    """
    spec = _validate(augment)
    if not spec:
        return []
    from keras import layers

    makers = {
        "flip": lambda v: layers.RandomFlip(v, seed=seed),
        "rotation": lambda v: layers.RandomRotation(v, fill_mode="reflect", seed=seed),
        "zoom": lambda v: layers.RandomZoom(v, fill_mode="reflect", seed=seed),
        "translation": lambda v: layers.RandomTranslation(v, v, fill_mode="reflect", seed=seed),
        "contrast": lambda v: layers.RandomContrast(v, value_range=(0, 255), seed=seed),
        "brightness": lambda v: layers.RandomBrightness(v, value_range=(0, 255), seed=seed),
    }
    return [makers[key](value) for key, value in spec.items() if value]
