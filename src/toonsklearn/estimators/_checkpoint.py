"""Resuming an interrupted fit from ``checkpoint_dir``, and only the same fit.

Keras' ``BackupAndRestore`` resumes whatever its folder holds. A folder left by a fit
of other data, other parameters or another network would hijack the next fit, or make
every later fit fail to load it. So a fit keeps its backups in a sub-folder named by a
fingerprint of what it trains (class, parameters, input shape, classes and a cheap
digest of the data) and resumes only from there. Backups of other fits are neither
resumed nor deleted (they may be another process's, live, e.g. the other folds of a
parallel search): a :class:`~toonsklearn.exceptions.StaleCheckpointWarning` names them
so that the user can delete those they no longer need.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import keras
import numpy as np

from ..exceptions import StaleCheckpointWarning

_IGNORED = ("verbose", "callbacks", "checkpoint_dir", "threshold", "memory",
            "distribution_strategy", "tta")  # not in the backup
_BACKUP_FILES = ("training_metadata.json", "latest.weights.h5")  # what Keras writes


class Checkpoint(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that also keeps the finished epochs' history rows, so that a
    resumed fit's ``history_`` holds every epoch, not just those after the resume."""

    def __init__(self, backup_dir: str, *, first_epoch: int = 0):
        super().__init__(backup_dir)
        self.rows_file = backup_dir + ".history.jsonl"
        self.first_epoch = first_epoch  # the phase's initial_epoch: its rows start there
        self.earlier_rows: list[dict] = []

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        resumed = int(getattr(self.model, "_initial_epoch", 0) or 0) - self.first_epoch
        self.earlier_rows = []
        if resumed > 0 and os.path.exists(self.rows_file):
            with open(self.rows_file) as rows:
                self.earlier_rows = [json.loads(line) for line in rows][:resumed]
        with open(self.rows_file, "w") as rows:  # keep exactly the rows the backup covers
            rows.writelines(json.dumps(row) + "\n" for row in self.earlier_rows)

    def on_epoch_end(self, epoch, logs=None):
        with open(self.rows_file, "a") as rows:  # the row first: a backup never lacks it
            rows.write(json.dumps({k: float(v) for k, v in (logs or {}).items()}) + "\n")
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        self.model._initial_epoch = None  # Keras keeps it: a later fit would skip epochs
        for leftover in (self.rows_file, os.path.dirname(self.backup_dir)):
            try:
                os.rmdir(leftover) if os.path.isdir(leftover) else os.remove(leftover)
            except OSError:  # gone already, or another phase's backup is still inside
                pass


def fingerprint(est, source, y_model) -> str:
    """A digest of what a fit trains: the same for the same fit run again, in any process.

    ``y_model`` is the encoded target, so label sets hash the same in every process.
    """
    params = {name: _plain(value) for name, value in sorted(est.get_params().items())
              if name not in _IGNORED}
    digest = hashlib.sha256(json.dumps(
        [type(est).__name__, params, list(source.shape), [str(c) for c in est.classes_]],
        default=str,
    ).encode())
    digest.update(np.ascontiguousarray(y_model).tobytes())
    if source.is_paths:
        digest.update("\n".join(source.data).encode("utf-8", "surrogateescape"))
    else:  # 16 rows spread over the data: cheap, and any other data set differs there
        rows = np.unique(np.linspace(0, len(source) - 1, 16).astype(int))
        digest.update(np.ascontiguousarray(source.data[rows]).tobytes())
        digest.update(str(source.data.shape).encode())
    return digest.hexdigest()[:16]


def _plain(value):
    """``value`` as JSON can hold it, keeping what tells two settings apart."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=str)}
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if hasattr(value, "get_config"):  # a Keras model, layer or optimizer
        return [name, json.dumps(value.get_config(), sort_keys=True, default=str)]
    if callable(value):
        return [getattr(value, "__module__", ""), getattr(value, "__qualname__", repr(value))]
    return [name, repr(value)]


def claim(folder, digest: str) -> str:
    """The folder for the backups of the fit ``digest`` names, inside ``folder``; warn
    about backups of other fits found there."""
    folder = os.fspath(folder)
    others = []
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name != digest and os.path.isdir(path) and _holds_backup(path):
                others.append(name)
    if others:
        warnings.warn(
            f"checkpoint_dir '{folder}' also holds {len(others)} interrupted fit(s) of "
            f"other data, parameters or networks ({', '.join(others[:3])}); this fit does "
            "not resume them, and leaves them be. Delete those you no longer need.",
            StaleCheckpointWarning,
            stacklevel=4,
        )
    path = os.path.join(folder, digest)
    os.makedirs(path, exist_ok=True)
    return path


def _holds_backup(path: str) -> bool:
    return any(
        name in _BACKUP_FILES or name.endswith(".history.jsonl")
        for _, _, files in os.walk(path) for name in files
    )
