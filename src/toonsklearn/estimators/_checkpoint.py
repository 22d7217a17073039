"""Resuming an interrupted fit from ``checkpoint_dir``, and only the same fit.

Keras' ``BackupAndRestore`` resumes whatever its folder holds. A folder left by a fit
of other data, other parameters or another network would hijack the next fit, or make
every later fit fail to load it. So each fit writes a fingerprint of what it trains
(class, parameters, input shape, classes and a cheap digest of the data) beside its
backups, and resumes only a backup with the same fingerprint. Another one is deleted
with a :class:`~toonsklearn.exceptions.StaleCheckpointWarning` naming the folder, and the
fit starts afresh: re-running a changed notebook cell should train, not fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings

import keras
import numpy as np

from ..exceptions import StaleCheckpointWarning

PHASES = ("train", "head", "fine_tune")
_IGNORED = ("verbose", "callbacks", "checkpoint_dir")  # change nothing the backup holds
_FINGERPRINT = "fingerprint.txt"


class Checkpoint(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that also keeps the finished epochs' history rows, so that a
    resumed fit's ``history_`` holds every epoch, not just those after the resume."""

    def __init__(self, backup_dir: str):
        super().__init__(backup_dir)
        self.rows_file = backup_dir + ".history.jsonl"
        self.earlier_rows: list[dict] = []

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        resumed = int(getattr(self.model, "_initial_epoch", 0) or 0)
        self.earlier_rows = []
        if resumed and os.path.exists(self.rows_file):
            with open(self.rows_file) as rows:
                self.earlier_rows = [json.loads(line) for line in rows][:resumed]
        with open(self.rows_file, "w") as rows:  # keep exactly the rows the backup covers
            rows.writelines(json.dumps(row) + "\n" for row in self.earlier_rows)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        with open(self.rows_file, "a") as rows:
            rows.write(json.dumps({k: float(v) for k, v in (logs or {}).items()}) + "\n")

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.rows_file)


def fingerprint(est, source, y) -> str:
    """A digest of what a fit trains: the same for the same fit run again."""
    params = {name: _plain(value) for name, value in sorted(est.get_params().items())
              if name not in _IGNORED}
    digest = hashlib.sha256(json.dumps(
        [type(est).__name__, params, list(source.shape), [str(c) for c in est.classes_]]
    ).encode())
    digest.update(np.asarray(y).astype(str).tobytes())
    if source.is_paths:
        digest.update("\n".join(source.data).encode("utf-8", "surrogateescape"))
    else:  # 16 rows spread over the data: cheap, and any other data set differs there
        rows = np.unique(np.linspace(0, len(source) - 1, 16).astype(int))
        digest.update(np.ascontiguousarray(source.data[rows]).tobytes())
        digest.update(str(source.data.shape).encode())
    return digest.hexdigest()


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=str)}
    return type(value).__qualname__  # a Keras model or optimizer, a callable


def claim(folder, digest: str) -> None:
    """Keep the backups in ``folder`` only if they belong to the fit ``digest`` names."""
    folder = os.fspath(folder)
    marker = os.path.join(folder, _FINGERPRINT)
    left = [name for name in os.listdir(folder) if name.split(".")[0] in PHASES] \
        if os.path.isdir(folder) else []
    stored = open(marker).read().strip() if os.path.isfile(marker) else None
    if left and stored != digest:
        warnings.warn(
            f"checkpoint_dir '{folder}' holds an interrupted fit of other data, parameters "
            "or network; it was deleted and this fit starts from epoch 0. Give each model "
            "its own checkpoint_dir to resume several.",
            StaleCheckpointWarning,
            stacklevel=4,
        )
        for name in left:
            path = os.path.join(folder, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(folder, exist_ok=True)
    with open(marker, "w") as file:
        file.write(digest)
