"""What the OptunaSearchCV tests share: a tiny CNN, a sampler that proposes given values
in turn, and a search of a few trials over the learning rate."""

import optuna
from optuna.distributions import FloatDistribution

from toonsklearn import CNNClassifier
from toonsklearn.tuning import OptunaSearchCV

LR = {"learning_rate": FloatDistribution(1e-3, 100.0, log=True)}


def tiny_cnn(**params):
    return CNNClassifier(**{"filters": (4,), "convs_per_block": 1, "epochs": 2,
                            "batch_size": 8, "validation_fraction": 0.25,
                            "early_stopping": None, "random_state": 0, **params})


class InOrder(optuna.samplers.BaseSampler):
    """A real Optuna sampler that proposes the given values in turn (trial n gets n)."""

    def __init__(self, values):
        self.values = values

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.values[trial.number % len(self.values)]


def search(estimator=None, space=LR, **params):
    return OptunaSearchCV(tiny_cnn() if estimator is None else estimator, space,
                          **{"n_trials": 3, "cv": 2, "random_state": 0, **params})
