"""scikit-learn's common estimator checks, run for real on all three estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from keras_helpers import tiny_backbone
from toonsklearn import CNNClassifier, MultiLabelCNN, TransferClassifier

# 2-D X is read as n_features x 1 single-channel images, so every check runs.
_CHECK_SETTINGS = dict(epochs=10, batch_size=8, learning_rate=0.01, dropout=0.0,
                       validation_fraction=0.0, early_stopping=None, random_state=0)
ESTIMATORS = [
    CNNClassifier(filters=(8,), convs_per_block=1, **_CHECK_SETTINGS),
    TransferClassifier(tiny_backbone, preprocessing="none", dense_units=32, **_CHECK_SETTINGS),
    MultiLabelCNN(filters=(8,), convs_per_block=1, **_CHECK_SETTINGS),
]

_SGD = (
    "minibatch gradient descent: weighting a sample by k is not the same as repeating it "
    "k times (batches and steps differ), as for scikit-learn's own SGD estimators"
)
_SCIKERAS_TAGS = (
    "scikeras' BaseWrapper, a parent of every KerasClassifier subclass, defines the "
    "pre-1.6 `_more_tags` without `__sklearn_tags__`; the check walks the whole MRO. Our "
    "`__sklearn_tags__` is what scikit-learn reads (test_base.py checks the tags)"
)
EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": _SGD,
    "check_estimator_tags_renamed": _SCIKERAS_TAGS,
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)
