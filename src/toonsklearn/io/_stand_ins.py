"""What skops cannot store, swapped for plain stand-ins on save and back on load.

skops stores NumPy arrays, built-in containers and scikit-learn estimators; a fitted
toonsklearn estimator also holds a Keras model, a pandas ``history_`` and sometimes a
Keras optimizer or a ``joblib.Memory`` among its parameters. :func:`swap_out` copies the
object graph with those replaced (the caller's object is never changed);
:func:`swap_in` puts the real values back into a freshly loaded graph.
"""

from __future__ import annotations

import copy
import inspect
import json
import os

import joblib
import keras
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..exceptions import NotSavableError

__all__ = ["STAND_INS", "swap_in", "swap_out", "type_name"]

# The only modules a stored optimizer's configuration may name: deserialising anything
# else (a layer, a function) could build arbitrary Keras objects from the file.
_OPTIMIZER_MODULES = ("keras.optimizers", "keras.optimizers.schedules")


def type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class KerasModel:
    """Stands for the Keras model stored as the archive member ``member``."""

    def __init__(self, member: str):
        self.member = member

    def restore(self, models: dict):
        return models[self.member]


class KerasOptimizer:
    """A Keras optimizer as the JSON of ``keras.saving.serialize_keras_object``."""

    def __init__(self, optimizer):
        self.config = json.dumps(keras.saving.serialize_keras_object(optimizer))

    def restore(self, models: dict):
        config = json.loads(self.config)
        _check_optimizer_config(config)
        optimizer = keras.saving.deserialize_keras_object(config, safe_mode=True)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise ValueError(f"a stored optimizer built a {type(optimizer).__name__}")
        return optimizer


def _check_optimizer_config(config) -> None:
    """Refuse a configuration that names anything but Keras' own optimizers and schedules:
    every serialised object in it must come from those modules, unregistered, and be a
    class (not a function)."""
    if isinstance(config, dict):
        if {"module", "class_name", "registered_name"} & set(config) and (
                config.get("module") not in _OPTIMIZER_MODULES
                or config.get("registered_name") is not None
                or config.get("class_name") in ("function", "__lambda__")):
            raise ValueError(f"a stored optimizer names {config.get('module')!r}."
                             f"{config.get('class_name')!r} (registered as "
                             f"{config.get('registered_name')!r}), not a Keras optimizer")
        if {"build_config", "compile_config"} & set(config):
            raise ValueError("a stored optimizer carries a build or compile configuration")
        for value in config.values():
            _check_optimizer_config(value)
    elif isinstance(config, list):
        for value in config:
            _check_optimizer_config(value)


class Frame:
    """A pandas DataFrame (``history_``) as plain arrays."""

    def __init__(self, frame: pd.DataFrame, where: str):
        if not all(isinstance(name, str) for name in frame.columns):
            raise NotSavableError(f"{where} is a DataFrame whose column names are not all "
                                  "strings; a safe file stores string column names only.")
        self.columns = list(frame.columns)
        self.values = [_plain_array(frame[name].to_numpy(), f"{where}[{name!r}]")
                       for name in self.columns]
        plain_index = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
            pd.RangeIndex(len(frame)))
        self.index = None if plain_index else _plain_array(frame.index.to_numpy(),
                                                             f"{where}.index")
        self.index_name = None if frame.index.name is None else str(frame.index.name)

    def restore(self, models: dict):
        frame = pd.DataFrame(dict(zip(self.columns, self.values, strict=True)),
                             columns=self.columns)
        if self.index is not None:
            frame.index = pd.Index(self.index)
        frame.index.name = self.index_name
        return frame


STAND_INS = (KerasModel, KerasOptimizer, Frame)


def _plain_array(values: np.ndarray, where: str) -> np.ndarray:
    if values.dtype == object:
        if not all(isinstance(value, str) for value in values):
            raise NotSavableError(f"{where} holds Python objects other than strings, which a "
                                  "safe file cannot store.")
        values = values.astype(str)
    return values


def swap_out(value, models: dict, where: str, seen: dict):
    """A copy of ``value`` with Keras models, DataFrames and optimizers replaced by
    stand-ins, and a ``joblib.Memory`` by its folder (``memory=`` takes either), so that
    loading creates nothing. Keras models are collected in ``models``: id -> (member,
    model, where). Shared objects stay shared; ``value`` itself is left alone."""
    if id(value) in seen:
        return seen[id(value)]
    if isinstance(value, keras.Model):
        if id(value) not in models:
            models[id(value)] = (f"keras/{len(models)}.keras", value, where)
        result = KerasModel(models[id(value)][0])
    elif isinstance(value, pd.DataFrame):
        result = Frame(value, where)
    elif isinstance(value, keras.optimizers.Optimizer):
        result = KerasOptimizer(value)
    elif isinstance(value, joblib.Memory):
        result = None if value.location is None else os.fspath(value.location)
    elif isinstance(value, (pd.Series, pd.Index)) or _is_keras_object(value):
        raise NotSavableError(
            f"{where} is a {type_name(type(value))}, which a safe file cannot store. "
            + ("Set it to None before saving (e.g. set_params(callbacks=None)); "
               if "callbacks" in where else "")
            + "joblib.dump stores it, for files you only ever load yourself.")
    elif type(value) in (list, tuple):
        result = type(value)(swap_out(item, models, f"{where}[{i}]", seen)
                             for i, item in enumerate(value))
    elif isinstance(value, dict):  # and its kinds: Bunch, OrderedDict, defaultdict
        result = copy.copy(value)
        seen[id(value)] = result
        result.clear()
        result.update({key: swap_out(item, models, f"{where}[{key!r}]", seen)
                       for key, item in value.items()})
    elif isinstance(value, BaseEstimator) or _is_sklearn_helper(value):
        result = object.__new__(type(value))
        seen[id(value)] = result
        # What pickling would keep: an estimator may assemble attributes for it (a
        # TransferClassifier fitted on cached features builds its network then).
        state = value.__getstate__() if isinstance(value, BaseEstimator) else vars(value)
        result.__dict__.update({name: swap_out(item, models, f"{where}.{name}", seen)
                                for name, item in state.items() if name != "_sklearn_version"})
    elif _is_unimportable_code(value):
        raise NotSavableError(
            f"{where} is {value!r}, Python code that a safe file cannot refer to (a lambda, "
            "a local function or class, one defined in __main__, or a Keras class). Pass a "
            "name, an object, or a function importable from a module instead; or use "
            "joblib.dump for files you only ever load yourself.")
    else:
        result = value
    seen[id(value)] = result
    return result


def _is_sklearn_helper(value) -> bool:
    """A plain object of scikit-learn's that holds estimators, such as the
    ``_CalibratedClassifier`` of each fold of ``CalibratedClassifierCV``."""
    return (type(value).__module__.startswith("sklearn.") and hasattr(value, "__dict__")
            and not isinstance(value, type) and not callable(value))


def _is_unimportable_code(value) -> bool:
    if isinstance(value, type) and _is_keras_object(value, type_of=False):
        return True
    if not (isinstance(value, type) or inspect.isfunction(value)):
        return False
    return "<" in value.__qualname__ or value.__module__ == "__main__"


def _is_keras_object(value, type_of: bool = True) -> bool:
    module = (type(value) if type_of else value).__module__
    return module.split(".")[0] in ("keras", "tensorflow", "tf_keras")


def swap_in(value, models: dict, seen: dict):
    """``value`` with every stand-in replaced by what it stands for, in place."""
    if id(value) in seen:
        return seen[id(value)]
    if isinstance(value, STAND_INS):
        result = value.restore(models)
    elif type(value) in (list, tuple):
        result = type(value)(swap_in(item, models, seen) for item in value)
    elif isinstance(value, dict):
        seen[id(value)] = value
        for key, item in list(value.items()):
            value[key] = swap_in(item, models, seen)
        result = value
    elif isinstance(value, BaseEstimator) or _is_sklearn_helper(value):
        seen[id(value)] = value
        for name, item in list(vars(value).items()):
            setattr(value, name, swap_in(item, models, seen))
        _check_model_fits(value)
        result = value
    else:
        result = value
    seen[id(value)] = result
    return result


def _check_model_fits(estimator) -> None:
    """Refuse a Keras model whose input or output differs from what its estimator
    expects (a model swapped in from another file)."""
    model = vars(estimator).get("model_")
    if not isinstance(model, keras.Model):
        return
    outputs = getattr(estimator, "n_outputs_model_", None)
    shape = getattr(estimator, "image_shape_", None)
    if outputs is not None and model.output_shape[-1] != outputs:
        raise ValueError(f"{type(estimator).__name__}'s model gives {model.output_shape[-1]} "
                         f"outputs where it expects {outputs}")
    if shape is not None and tuple(model.input_shape[1:]) != tuple(shape):
        raise ValueError(f"{type(estimator).__name__}'s model takes images of shape "
                         f"{tuple(model.input_shape[1:])} where it expects {tuple(shape)}")
