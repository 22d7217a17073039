"""The scikit-learn side every estimator shares (toonsklearn/estimators/_base.py): classifier
tags, class weights, fit, partial_fit and initialize, a failed refit, clone and pickling,
and the parameters set_params and fit refuse."""

import pickle
import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from tests.conftest import REPO_ROOT
from tests.keras_helpers import TINY, small_cnn, tiny_backbone, toons
from toonsklearn import (
    ImageFolderLoader,
    MultiLabelCNN,
    TransferClassifier,
    load_image_folder,
)
from toonsklearn.exceptions import MissingFileError

ALL_THREE = [
    small_cnn(),
    TransferClassifier(tiny_backbone, preprocessing="scale", **TINY),
    MultiLabelCNN(filters=(4,), convs_per_block=1, **TINY),
]


@pytest.mark.parametrize("estimator", ALL_THREE, ids=lambda e: type(e).__name__)
def test_estimators_are_classifiers_with_stratified_folds(estimator):
    assert is_classifier(estimator)
    assert get_tags(estimator).estimator_type == "classifier"
    mro = type(estimator).mro()
    assert mro.index(ClassifierMixin) < mro.index(BaseEstimator)
    assert isinstance(check_cv(3, np.array([0, 1] * 5), classifier=is_classifier(estimator)),
                      StratifiedKFold)


def test_class_weight_moves_predictions_to_the_weighted_class():
    X, y = toons(64)
    plain = small_cnn().fit(X, y).predict(X)
    weighted = small_cnn(class_weight={"tom": 50.0, "jerry": 1.0}).fit(X, y).predict(X)
    assert (weighted == "tom").mean() > (plain == "tom").mean()
    assert (weighted == "tom").mean() > 0.8
    balanced = small_cnn(class_weight="balanced").fit(X[:40], y[:40])
    assert set(balanced.classes_) == {"jerry", "tom"}


def test_partial_fit_trains_one_epoch_per_call():
    X, y = toons()
    clf = small_cnn()
    clf.partial_fit(X[:24], y[:24], classes=np.array(["jerry", "tom"]))
    clf.partial_fit(X[24:], y[24:])
    assert len(clf.history_) == 2
    assert list(clf.classes_) == ["jerry", "tom"]
    assert clf.predict(X).shape == (len(X),)


def test_partial_fit_with_classes_accepts_a_batch_of_one_class():
    X, y = toons()
    clf = small_cnn()
    jerry = y == "jerry"
    clf.partial_fit(X[jerry], y[jerry], classes=["jerry", "tom"])
    clf.partial_fit(X[~jerry], y[~jerry])
    assert list(clf.classes_) == ["jerry", "tom"] and clf.current_epoch == 2


def test_initialize_builds_without_training():
    X, y = toons()
    clf = small_cnn().initialize(X, y)
    assert clf.model_.output_shape == (None, 1)
    assert not hasattr(clf, "history_")


def test_a_failed_refit_leaves_the_fitted_estimator_as_it_was(toon_tree, tmp_path):
    data = load_image_folder(toon_tree, subset="train")
    clf = small_cnn(input_size=(16, 16)).fit(data.paths, data.target)
    before = clf.predict_proba(data.paths)
    fitted = {name: value for name, value in vars(clf).items() if name.endswith("_")}
    paths = np.array([*data.paths[:10], str(tmp_path / "gone.png")])
    with pytest.raises(MissingFileError, match="gone.png"):  # ours, not TensorFlow's
        clf.fit(paths, np.array(["a", "b"] * 5 + ["c"]))
    assert set(fitted) == {name for name in vars(clf) if name.endswith("_")}
    assert all(vars(clf)[name] is value for name, value in fitted.items())
    np.testing.assert_array_equal(clf.predict_proba(data.paths), before)


def test_clone_of_a_fitted_estimator_is_unfitted():
    X, y = toons()
    fitted = small_cnn().fit(X, y)
    fresh = clone(fitted)
    assert fresh.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        fresh.predict(X)


def test_fitted_pipeline_predicts_the_same_in_a_fresh_process(tmp_path, toon_tree):
    data = load_image_folder(toon_tree, subset="train")
    test = load_image_folder(toon_tree, subset="test")
    pipe = make_pipeline(ImageFolderLoader(size=(16, 16)), small_cnn()).fit(data.paths,
                                                                           data.target)
    clf = TransferClassifier(tiny_backbone, preprocessing="scale", **TINY)
    clf.fit(ImageFolderLoader(size=(16, 16)).transform(data.paths), data.target)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    (tmp_path / "clf.pkl").write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "paths.npy", test.paths)
    script = textwrap.dedent(f"""
        import pickle, sys, joblib, numpy as np
        sys.path.insert(0, {REPO_ROOT!r})  # unpickling the backbone imports tests
        from toonsklearn import ImageFolderLoader
        root = {str(tmp_path)!r}
        paths = np.load(root + "/paths.npy")
        pipe = joblib.load(root + "/pipe.joblib")
        clf = pickle.loads(open(root + "/clf.pkl", "rb").read())
        np.save(root + "/pipe_proba.npy", pipe.predict_proba(paths))
        images = ImageFolderLoader(size=(16, 16)).transform(paths)
        np.save(root + "/clf_proba.npy", clf.predict_proba(images))
        import os
        os._exit(0)  # done: no second of TensorFlow's teardown
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "pipe_proba.npy"),
                               pipe.predict_proba(test.paths), rtol=1e-6)
    images = ImageFolderLoader(size=(16, 16)).transform(test.paths)
    np.testing.assert_allclose(np.load(tmp_path / "clf_proba.npy"), clf.predict_proba(images),
                               rtol=1e-6)


def test_routed_parameters_are_refused_and_objects_search_instead():
    with pytest.raises(ValueError, match="no routed parameters such as 'optimizer__momentum'"):
        small_cnn().set_params(optimizer__momentum=0.9)
    X, y = toons()
    with pytest.raises(ValueError, match="routed"):
        GridSearchCV(small_cnn(epochs=1), {"optimizer__momentum": [0.5, 0.9]}, cv=2).fit(X, y)
    grid = {"optimizer": [keras.optimizers.SGD(momentum=0.9), "adam"]}
    search = GridSearchCV(small_cnn(epochs=1), grid, cv=2).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert isinstance(clone(search.best_estimator_).optimizer, (str, keras.optimizers.SGD))


@pytest.mark.parametrize("params, message", [
    ({"lr_schedule": "linear"}, "'lr_schedule' parameter .*'cosine'.*Got 'linear'"),
    ({"label_smoothing": 1.0}, "'label_smoothing' parameter .* range"),
    ({"label_smoothing": -0.1}, "'label_smoothing' parameter .* range"),
])
def test_a_bad_schedule_or_smoothing_is_refused_by_name(params, message):
    X, y = toons()
    with pytest.raises(ValueError, match=message):
        small_cnn(**params).fit(X, y)


def test_errors_about_the_data_are_ours_and_bad_parameters_are_scikit_learns(tmp_path):
    from sklearn.utils._param_validation import InvalidParameterError

    from toonsklearn import CNNClassifier
    from toonsklearn.exceptions import (
        ImageInputError,
        TargetError,
        ToonsklearnError,
        TrainingDataError,
    )

    X, y = toons(16, size=8)
    with pytest.raises(TrainingDataError, match="only one class \\('tom'\\)"):
        small_cnn().fit(X, ["tom"] * len(X))
    with pytest.raises(TrainingDataError, match="only one class has a nonzero weight"):
        small_cnn().fit(X, y, sample_weight=(y == "tom").astype(float))
    nan = X.astype(float)
    nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ToonsklearnError, match="NaN"):
        small_cnn().fit(nan, y)
    clf = small_cnn(epochs=1).fit(X, y)
    with pytest.raises(ImageInputError, match="3 channels"):
        clf.predict(X[..., :1])
    with pytest.raises(ImageInputError, match="empty array of file paths"):
        small_cnn().fit(np.array([], dtype=str), [])
    labels = np.c_[y == "tom", y == "jerry"].astype(int)
    multi = MultiLabelCNN(filters=(4,), **TINY).partial_fit(X, labels)
    with pytest.raises(TargetError, match="shape \\(n_samples, 2\\)"):
        multi.partial_fit(X, np.c_[labels, labels])
    bad_parameters = [
        small_cnn(optimizer="adamm"), CNNClassifier("simple", filters=(4,), **TINY),
        small_cnn(distribution_strategy="mirorred"), small_cnn(input_size=(0, 8)),
        small_cnn(callbacks={"no_such_callback": None}), small_cnn(callbacks=["not one"]),
        small_cnn(lr_schedule="cosine", callbacks=[keras.callbacks.ReduceLROnPlateau()]),
        TransferClassifier(lambda shape: "not a model", **TINY),
    ]
    for estimator in bad_parameters:
        with pytest.raises(InvalidParameterError):
            estimator.fit(X, y)
    with pytest.raises(InvalidParameterError, match="routed"):
        small_cnn().set_params(optimizer__momentum=0.9)
    with pytest.raises(InvalidParameterError, match="per label"):
        MultiLabelCNN(threshold=[0.5, 0.5], **TINY).fit(X, y)
