"""Estimators pickled by an earlier toonsklearn still load and predict the same."""

import pickle
from pathlib import Path

import numpy as np
import pytest

FIXTURE = Path(__file__).parent / "data" / "pickled_estimators.pkl"


@pytest.fixture(scope="module")
def fixture():
    return pickle.loads(FIXTURE.read_bytes())  # written by data/make_pickled_estimators.py


@pytest.mark.parametrize("name, X, proba", [("cnn", "X", "proba"),
                                            ("multi", "X_multi", "proba_multi")])
def test_an_estimator_pickled_by_0_1_0_dev0_predicts_as_it_did(fixture, name, X, proba):
    estimator = pickle.loads(fixture[name])
    np.testing.assert_allclose(estimator.predict_proba(fixture[X]), fixture[proba], atol=1e-5)
    assert estimator.get_params() == type(estimator)(**estimator.get_params()).get_params()
