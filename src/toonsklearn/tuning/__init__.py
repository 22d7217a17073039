"""Hyperparameter search: :class:`OptunaSearchCV` and a default search space.

Importing this module imports Optuna and TensorFlow.
"""

from ._search import OptunaSearchCV
from ._space import default_search_space

__all__ = ["OptunaSearchCV", "default_search_space"]
