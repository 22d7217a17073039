"""Targets and thresholds (toonsklearn/_utils/targets.py): the threshold a metric picks."""

import numpy as np
import pytest


def test_the_best_threshold_is_the_best_scoring_candidate_nearest_one_half():
    from toonsklearn._utils.targets import best_threshold, metric_function, threshold_scores

    def best(truth, proba):
        return best_threshold(*threshold_scores(truth, proba, metric_function("f1")))

    truth = np.array([0, 0, 0, 1, 1])
    proba = np.array([0.05, 0.1, 0.2, 0.3, 0.4])  # a rare label: never 0.5
    assert best(truth, proba) == pytest.approx(0.3)
    assert best(np.zeros(5, int), proba) == 0.5  # all tie at 0
