"""Named augmentation policies and dict specs, turned into Keras preprocessing layers.

The layers sit at the start of the estimator's model, so they run on every batch
of every epoch during ``fit`` and do nothing at predict time.
"""

from __future__ import annotations

from numbers import Real

__all__ = ["POLICIES", "augmentation_layers"]

#: Named policies: each maps to a dict spec.
POLICIES = {
    "light": {"flip": "horizontal", "rotation": 0.05, "zoom": 0.1},
    "strong": {"flip": "horizontal", "rotation": 0.15, "zoom": 0.2, "translation": 0.1,
               "contrast": 0.2, "brightness": 0.2},
}
_KNOWN = ("flip", "rotation", "zoom", "translation", "contrast", "brightness")
_FLIPS = ("horizontal", "vertical", "horizontal_and_vertical")
_MEANING = {
    "rotation": "a fraction of a full turn", "zoom": "a fraction of the size",
    "translation": "a fraction of the size", "contrast": "a fraction of the range",
    "brightness": "a fraction of the range",
}


def _validate(augment) -> dict:
    if augment is None:
        return {}
    if isinstance(augment, str):
        if augment not in POLICIES:
            raise ValueError(
                f"Unknown augment policy {augment!r}; use one of {sorted(POLICIES)}, a dict "
                f"with keys from {_KNOWN}, or None."
            )
        return POLICIES[augment]
    if isinstance(augment, dict):
        unknown = sorted(set(augment) - set(_KNOWN))
        if unknown:
            raise ValueError(f"Unknown augment keys {unknown}; known keys are {_KNOWN}.")
        for key, value in augment.items():
            _check_value(key, value)
        return augment
    raise TypeError(f"augment must be None, a policy name or a dict; received {augment!r}.")


def _check_value(key: str, value) -> None:
    """Refuse a value Keras would ignore or misread; None, False and 0 turn a key off."""
    if value is None or value is False or (not isinstance(value, bool) and value == 0):
        return
    if key == "flip":
        if value not in _FLIPS:
            raise ValueError(
                f"augment['flip'] must be one of {list(_FLIPS)}, or None to turn it off; "
                f"received {value!r}."
            )
    elif isinstance(value, bool) or not isinstance(value, Real) or not 0 < value <= 1:
        raise ValueError(
            f"augment[{key!r}] must be a factor in (0, 1] ({_MEANING[key]}), or None to "
            f"turn it off; received {value!r}."
        )


def augmentation_layers(augment, seed: int | None = None) -> list:
    """Keras layers for ``augment`` (None, ``"light"``, ``"strong"`` or a dict).

    A dict maps ``flip`` to ``"horizontal"``, ``"vertical"`` or
    ``"horizontal_and_vertical"``, and ``rotation``, ``zoom``, ``translation``,
    ``contrast``, ``brightness`` to a factor (fraction of a turn, of the size, or
    of the range). Pixels are expected in 0-255.

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
