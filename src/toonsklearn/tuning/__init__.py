"""Tuning: :class:`OptunaSearchCV` with a default search space, the learning-rate range
test :func:`lr_find`, and per-label thresholds with :func:`tune_thresholds`.

Importing this module imports Optuna and TensorFlow.
"""

from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)

# isort: split
from ._lr_find import LRFinderResult, lr_find
from ._search import OptunaSearchCV
from ._space import default_search_space
from ._thresholds import tune_thresholds

__all__ = ["LRFinderResult", "OptunaSearchCV", "default_search_space", "lr_find",
           "tune_thresholds"]
