"""The default search spaces (toonsklearn/tuning/_space.py)."""

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from tests.keras_helpers import toons
from tests.tuning.conftest import tiny_cnn
from toonsklearn import CNNClassifier, ImageTransformer, MultiLabelCNN, TransferClassifier
from toonsklearn.tuning import OptunaSearchCV, default_search_space


def test_default_search_space_for_each_estimator():
    transfer = default_search_space(TransferClassifier())
    assert {"backbone", "fine_tune_layers", "learning_rate", "dropout"} <= set(transfer)
    assert "efficientnet_lite0" in transfer["backbone"].choices
    assert transfer["learning_rate"].log
    assert "backbone" not in default_search_space(MultiLabelCNN())
    piped = default_search_space(make_pipeline(ImageTransformer(), CNNClassifier()))
    assert all(name.startswith("cnnclassifier__") for name in piped)
    with pytest.raises(TypeError, match="CNNClassifier, TransferClassifier and MultiLabelCNN"):
        default_search_space(LogisticRegression())


def test_the_default_space_is_searched_when_none_is_given():
    X, y = toons(32, size=8)
    s = OptunaSearchCV(tiny_cnn(), n_trials=1, cv=2, random_state=0).fit(X, y)
    assert set(s.best_params_) == set(default_search_space(tiny_cnn()))
