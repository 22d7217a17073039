"""A search space to start from for each of the library's estimators."""

from __future__ import annotations

import importlib.util

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
)
from sklearn.utils._param_validation import InvalidParameterError

from ..backbones.efficientnet_lite import VARIANTS
from ..estimators import CNNClassifier, MultiLabelCNN, TransferClassifier
from ..estimators._base import final_step


def offline_backbones() -> list[str]:
    """Backbones whose pretrained weights are installed (no download needed)."""
    return [name for name, (*_, package) in VARIANTS.items()
            if importlib.util.find_spec(package.replace("-", "_")) is not None]


def default_search_space(estimator) -> dict[str, BaseDistribution]:
    """Optuna distributions for the parameters worth tuning first.

    Learning rate (log-uniform), dropout, dense head units and the augmentation policy
    for every estimator; for :class:`~toonsklearn.TransferClassifier` with a backbone
    named by a string, also the backbones whose weights are installed and
    ``fine_tune_layers``. Keys carry a Pipeline's step prefix.

    Parameters
    ----------
    estimator : CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
        The estimator, or a Pipeline whose last step is one of them.

    Returns
    -------
    space : dict of str to optuna.distributions.BaseDistribution
        For ``OptunaSearchCV(param_distributions=...)``.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from toonsklearn import ImageFolderLoader, CNNClassifier
    >>> from toonsklearn.tuning import default_search_space
    >>> space = default_search_space(make_pipeline(ImageFolderLoader(), CNNClassifier()))
    >>> for name, distribution in space.items():
    ...     print(name, type(distribution).__name__)
    cnnclassifier__augment CategoricalDistribution
    cnnclassifier__dense_units CategoricalDistribution
    cnnclassifier__dropout FloatDistribution
    cnnclassifier__learning_rate FloatDistribution
    """
    prefix, final = final_step(estimator)
    if not isinstance(final, (CNNClassifier, TransferClassifier, MultiLabelCNN)):
        raise InvalidParameterError(
            "default_search_space knows CNNClassifier, TransferClassifier and MultiLabelCNN "
            f"(or a Pipeline ending in one); received {type(final).__name__}. Pass "
            "param_distributions={name: optuna distribution} for other estimators."
        )
    space = {
        "learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
        "dropout": FloatDistribution(0.0, 0.5),
        "dense_units": CategoricalDistribution((None, 64, 128, 256)),
        "augment": CategoricalDistribution((None, "light", "strong")),
    }
    if isinstance(final, TransferClassifier) and isinstance(final.backbone, str):
        space["backbone"] = CategoricalDistribution(tuple(offline_backbones() or
                                                          [final.backbone]))
        space["fine_tune_layers"] = CategoricalDistribution((0, 10, 30))
    return {prefix + name: distribution for name, distribution in sorted(space.items())}
