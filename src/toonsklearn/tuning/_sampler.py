"""The default sampler of :class:`~toonsklearn.tuning.OptunaSearchCV`: TPE seeded per
trial, so processes that share a study propose different candidates."""

from __future__ import annotations

import warnings

import numpy as np
import optuna

__all__ = ["TrialSeededTPE", "startup_trials"]


def startup_trials(n_trials: int | None) -> int:
    """Random trials before TPE proposes: a third of ``n_trials``, 2 to 10 (Optuna's
    default of 10 would leave a search of 10 trials all random)."""
    return 10 if n_trials is None else max(2, min(10, n_trials // 3))


class TrialSeededTPE(optuna.samplers.BaseSampler):
    """A ``TPESampler`` whose random draws for trial ``n`` come from ``(seed, n)``: one
    process repeats its search exactly, and processes sharing a study with one seed still
    propose different candidates (a plainly seeded sampler in each would propose the same
    sequence). Constant liar makes a running trial's candidate less likely to be proposed
    again once TPE leaves its ``n_startup_trials`` random ones."""

    def __init__(self, seed: int, n_startup_trials: int = 10):
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self._current: tuple[int, optuna.samplers.TPESampler] | None = None

    def _for(self, trial) -> optuna.samplers.TPESampler:
        if self._current is None or self._current[0] != trial.number:
            seed = int(np.random.SeedSequence([self.seed, trial.number]).generate_state(1)[0])
            with warnings.catch_warnings():  # constant_liar was experimental before 5.0
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                sampler = optuna.samplers.TPESampler(
                    seed=seed, constant_liar=True, n_startup_trials=self.n_startup_trials)
            self._current = (trial.number, sampler)
        return self._current[1]

    def infer_relative_search_space(self, study, trial):
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._for(trial).sample_independent(study, trial, param_name,
                                                   param_distribution)

    def before_trial(self, study, trial):
        self._for(trial).before_trial(study, trial)

    def after_trial(self, study, trial, state, values):
        self._for(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.seed = int(np.random.SeedSequence().generate_state(1)[0])
        self._current = None
