"""The default sampler (toonsklearn/tuning/_sampler.py): TPE seeded per trial, so one seed
repeats a search and searches sharing a study propose other candidates."""

from tests.keras_helpers import toons
from tests.tuning.conftest import search


def test_the_same_seed_proposes_the_same_trials():
    X, y = toons(32, size=8)
    first = search(n_trials=2, random_state=3, refit=False).fit(X, y).cv_results_["params"]
    again = search(n_trials=2, random_state=3, refit=False).fit(X, y).cv_results_["params"]
    assert first == again


def test_searches_sharing_a_study_and_a_seed_propose_other_candidates(tmp_path):
    # A second machine joins with the same random_state: a sampler seeded once per
    # process would propose the first machine's candidates again.
    X, y = toons(32, size=8)
    storage = tmp_path / "shared.journal"
    first = search(n_trials=2, storage=storage, study_name="toons", refit=False).fit(X, y)
    first_rates = [trial.params["learning_rate"] for trial in first.study_.trials]
    joined = search(n_trials=4, storage=storage, study_name="toons", refit=False).fit(X, y)
    rates = [trial.params["learning_rate"] for trial in joined.study_.trials]
    assert rates[:2] == first_rates and len(set(rates)) == 4
