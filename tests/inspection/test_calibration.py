"""``calibration_bins`` and ``calibration_error`` (toonsklearn/inspection/_calibration.py):
the top-label reliability table and its expected calibration error, checked by hand; and
scikit-learn's ``CalibratedClassifierCV(FrozenEstimator(model))`` over toonsklearn's
estimators, measured with them."""

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.fixes import parse_version

from tests.io.conftest import needs_safe_keras
from toonsklearn import CNNClassifier, ImageFolderLoader, load_image_folder
from toonsklearn.datasets import make_toons
from toonsklearn.inspection import calibration_bins, calibration_error
from toonsklearn.io import save

HAS_TEMPERATURE = parse_version(sklearn.__version__).release >= (1, 8)
METHODS = ["sigmoid", "isotonic", pytest.param("temperature", marks=pytest.mark.skipif(
    not HAS_TEMPERATURE, reason="CalibratedClassifierCV(method='temperature') arrived in "
    f"scikit-learn 1.8; installed is {sklearn.__version__}"))]


# ------------------------------------------------------------------ hand-computed values
def test_single_label_bins_by_hand_with_three_classes():
    labels = ["bunny", "jerry", "tom"]
    y = ["tom", "jerry", "bunny", "tom", "bunny"]
    proba = [[0.1, 0.1, 0.8],    # tom 0.8, right
             [0.5, 0.3, 0.2],    # bunny 0.5, wrong
             [0.45, 0.35, 0.2],  # bunny 0.45, right
             [0.05, 0.9, 0.05],  # jerry 0.9, wrong
             [0.7, 0.2, 0.1]]    # bunny 0.7, right
    table = calibration_bins(y, proba, labels=labels, n_bins=4)
    assert list(table.columns) == ["low", "high", "count", "confidence", "accuracy"]
    assert table["low"].tolist() == [0.0, 0.25, 0.5, 0.75]
    assert table["high"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert table["count"].tolist() == [0, 1, 2, 2]
    np.testing.assert_allclose(table["confidence"], [np.nan, 0.45, 0.6, 0.85])
    np.testing.assert_allclose(table["accuracy"], [np.nan, 1.0, 0.5, 0.5])
    # (1 * 0.55 + 2 * 0.1 + 2 * 0.35) / 5
    assert calibration_error(y, proba, labels=labels, n_bins=4) == pytest.approx(0.29)


def test_two_classes_with_labels_none_taking_the_sorted_classes_and_integer_labels():
    y = ["tom", "jerry", "tom", "jerry"]
    proba = [[0.2, 0.8], [0.6, 0.4], [0.7, 0.3], [0.45, 0.55]]  # columns: jerry, tom
    table = calibration_bins(y, proba, n_bins=5)
    # confidences 0.8 (right), 0.6 (right), 0.7 (wrong), 0.55 (wrong)
    assert table["count"].tolist() == [0, 0, 1, 2, 1]
    np.testing.assert_allclose(table["accuracy"], [np.nan, np.nan, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(table["confidence"], [np.nan, np.nan, 0.55, 0.65, 0.8])
    assert calibration_error(y, proba, n_bins=5) == pytest.approx((0.55 + 2 * 0.15 + 0.2) / 4)
    # the same images as integers and a pandas Series, the columns named in reverse order
    coded = pd.Series([1, 0, 1, 0], index=[10, 11, 12, 13])
    swapped = np.asarray(proba)[:, ::-1]
    pd.testing.assert_frame_equal(calibration_bins(coded, swapped, labels=[1, 0], n_bins=5),
                                  table)


def test_multilabel_counts_every_image_and_label_pair():
    Y = np.array([[1, 1], [0, 1]])
    proba = np.array([[0.8, 0.3], [0.4, 0.6]])
    # pairs: 0.8 yes (right, confidence 0.8), 0.3 no (wrong, 0.7),
    #        0.4 no (right, 0.6), 0.6 yes (right, 0.6)
    table = calibration_bins(Y, proba, n_bins=5)
    assert table["count"].tolist() == [0, 0, 0, 3, 1]
    np.testing.assert_allclose(table["confidence"].iloc[3:], [1.9 / 3, 0.8])
    np.testing.assert_allclose(table["accuracy"].iloc[3:], [2 / 3, 1.0])
    assert calibration_error(Y, proba, n_bins=5) == pytest.approx((3 * (2 / 3 - 1.9 / 3)
                                                                   + 0.2) / 4)
    # labels is unused for an indicator matrix; a DataFrame works as its values
    frame = pd.DataFrame(Y, columns=["tom", "jerry"])
    assert calibration_error(frame, proba, labels=["x"], n_bins=5) == pytest.approx(
        calibration_error(Y, proba, n_bins=5))
    # p = 0.5 predicts yes with confidence 0.5: right for a 1, wrong for a 0
    half = calibration_bins([[1, 0]], [[0.5, 0.5]], n_bins=2)
    assert half["count"].tolist() == [0, 2] and half["accuracy"].iloc[1] == 0.5
    assert calibration_error([[1, 0]], [[0.5, 0.5]], n_bins=2) == 0.0


def test_a_confidence_on_an_edge_goes_to_the_bin_above_and_one_to_the_last():
    y = [0, 0, 0, 0]
    proba = [[0.6, 0.4], [0.8, 0.2], [1.0, 0.0], [0.2, 0.8]]  # 0.6, 0.8, 1.0 and 0.8 wrong
    table = calibration_bins(y, proba, labels=[0, 1], n_bins=5)
    assert table["count"].tolist() == [0, 0, 0, 1, 3]
    np.testing.assert_allclose(table["confidence"].iloc[3:], [0.6, 2.6 / 3])
    np.testing.assert_allclose(table["accuracy"].iloc[3:], [1.0, 2 / 3])
    one = calibration_bins([1], [[0.0, 1.0]], labels=[0, 1], n_bins=15)
    assert one["count"].iloc[-1] == 1 and one["count"].sum() == 1
    assert calibration_error([1], [[0.0, 1.0]], labels=[0, 1]) == 0.0
    assert calibration_error([0], [[0.0, 1.0]], labels=[0, 1]) == 1.0
    for n_bins in (10, 15, 20):  # every edge k / n_bins lands in bin k, despite rounding
        edges = np.linspace(0, 1, n_bins + 1)[:-1]
        confident = edges[edges >= 0.5]
        table = calibration_bins([0] * len(confident),
                                 np.column_stack([confident, 1 - confident]),
                                 labels=[0, 1], n_bins=n_bins)
        assert (table["count"].to_numpy()[edges >= 0.5] == 1).all(), n_bins


def test_perfectly_calibrated_predictions_score_zero():
    # twenty predictions at each confidence 0.55, 0.65, ..., 0.95, right as often as claimed
    confidence = np.repeat([0.55, 0.65, 0.75, 0.85, 0.95], 20)
    right = np.concatenate([np.arange(20) < round(c * 20) for c in (0.55, 0.65, 0.75,
                                                                    0.85, 0.95)])
    proba = np.column_stack([confidence, 1 - confidence])
    y = np.where(right, "jerry", "tom")
    assert calibration_error(y, proba, n_bins=10) == pytest.approx(0.0, abs=1e-12)
    table = calibration_bins(y, proba, n_bins=10)
    np.testing.assert_allclose(table["confidence"].iloc[5:], table["accuracy"].iloc[5:])
    # drawn at random, the truth agreeing with the probabilities: near zero
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1.0, 1.0, 1.0], 20_000)
    y = np.array([rng.choice(3, p=row) for row in proba])
    assert calibration_error(y, proba, labels=[0, 1, 2]) < 0.02
    Y = (rng.random(proba.shape) < proba).astype(int)  # multi-label, each label its own coin
    assert calibration_error(Y, proba) < 0.02
    assert calibration_error(y, np.eye(3)[y] * 0.999 + 0.0005, labels=[0, 1, 2]) < 0.01


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("function", [calibration_bins, calibration_error])
def test_every_bad_input_says_what_was_wrong(function):
    y, proba = ["tom", "jerry"], [[0.3, 0.7], [0.6, 0.4]]
    bad = [
        (ValueError, "non-empty 2-D array", dict(y_true=y, proba=[0.3, 0.6])),
        (ValueError, r"received shape \(2, 2, 1\)", dict(y_true=y, proba=[[[0.3], [0.7]],
                                                                          [[0.6], [0.4]]])),
        (ValueError, r"non-empty 2-D array .* received shape \(0, 2\)",
         dict(y_true=[], proba=np.empty((0, 2)))),
        (ValueError, "outside", dict(y_true=y, proba=[[1.3, -0.3], [0.6, 0.4]])),
        (ValueError, "outside", dict(y_true=y, proba=[[-0.1, 0.7], [0.6, 0.4]])),
        (ValueError, r"outside \[0, 1\] \(or NaN\)", dict(y_true=y, proba=[[np.nan, 0.7],
                                                                          [0.6, 0.4]])),
        (ValueError, "outside", dict(y_true=y, proba=[[np.inf, 0.7], [0.6, 0.4]])),
        (ValueError, "y_true has 3 rows and proba 2", dict(y_true=y + ["tom"], proba=proba)),
        (ValueError, "2 columns but there are 3 labels; pass labels=estimator.classes_",
         dict(y_true=y, proba=proba, labels=["bunny", "jerry", "tom"])),
        (ValueError, "3 columns but there are 2 labels",
         dict(y_true=y, proba=[[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])),
        (ValueError, r"labels \['spike'\] that are not in labels \['jerry', 'tom'\]",
         dict(y_true=["tom", "spike"], proba=proba, labels=["jerry", "tom"])),
        (ValueError, r"label sets: pass labels=", dict(y_true=[[0], [1]], proba=proba)),
        (ValueError, r"1-D labels or a 0/1 indicator matrix; received shape \(2, 1, 1\)",
         dict(y_true=np.zeros((2, 1, 1)), proba=proba)),
        (ValueError, r"indicator matrix y_true has shape \(2, 3\) and proba \(2, 2\)",
         dict(y_true=[[1, 0, 1], [0, 1, 0]], proba=proba)),
    ]
    for error, message, kwargs in bad:
        with pytest.raises(error, match=message):
            function(**kwargs)
    for n_bins in (0, -3, True, 2.0, "15", None):
        with pytest.raises(InvalidParameterError, match=rf"n_bins must be an int of at least "
                                                        rf"1; received {n_bins!r}"):
            function(y, proba, n_bins=n_bins)
    assert function(y, proba, n_bins=np.int64(3)) is not None  # numpy ints are ints


def test_label_sets_are_read_over_labels_and_need_them():
    sets, proba = [{"tom"}, {"tom", "jerry"}], [[0.2, 0.9], [0.8, 0.7]]
    np.testing.assert_allclose(
        calibration_bins(sets, proba, labels=["jerry", "tom"])["count"],
        calibration_bins(np.array([[0, 1], [1, 1]]), proba)["count"])
    with pytest.raises(ValueError, match="indicator"):
        calibration_bins(sets, proba)


# ---------------------------------------------------- CalibratedClassifierCV over our models
@pytest.fixture(scope="module")
def overconfident():
    """A CNN that memorises 24 images (no label smoothing, dropout or early stopping), so
    that it claims more than it gets right; a calibration and a test split of its own."""
    X, y = make_toons(240, image_size=16, random_state=0)
    clf = CNNClassifier(filters=(4,), epochs=60, batch_size=8, learning_rate=0.01,
                        label_smoothing=0.0, dropout=0.0, early_stopping=None,
                        validation_fraction=0.0, lr_schedule="constant", random_state=0)
    clf.fit(X[:24], y[:24])
    return clf, (X[24:132], y[24:132]), (X[132:], y[132:])


@pytest.fixture(scope="module")
def pipeline_on_files(tmp_path_factory):
    """A Pipeline(ImageFolderLoader, CNNClassifier) fitted on PNG files, with the
    validation and test files of the same folder."""
    root = make_toons(80, image_size=16, random_state=0,
                      directory=tmp_path_factory.mktemp("calibration_toons"))
    train, val, test = (load_image_folder(root, subset=s)
                        for s in ("train", "validation", "test"))
    names = np.asarray(train.target_names)
    pipe = make_pipeline(ImageFolderLoader(size=(16, 16)),
                         CNNClassifier(filters=(4,), epochs=2, batch_size=16, random_state=0))
    pipe.fit(train.paths, names[train.target])
    return pipe, (val.paths, names[val.target]), (test.paths, names[test.target])


def check_calibrated(calibrated, model, X_test):
    """Probabilities of the model's classes that sum to 1, and predictions among them."""
    proba = calibrated.predict_proba(X_test)
    assert proba.shape == (len(X_test), len(model.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert proba.min() >= 0 and proba.max() <= 1
    np.testing.assert_array_equal(calibrated.classes_, model.classes_)
    predicted = calibrated.predict(X_test)
    assert set(predicted) <= set(model.classes_)
    np.testing.assert_array_equal(predicted, calibrated.classes_[proba.argmax(axis=1)])
    return proba


@pytest.mark.parametrize("method", METHODS)
def test_calibrating_a_fitted_cnn_on_image_arrays(overconfident, method):
    clf, (X_cal, y_cal), (X_test, _) = overconfident
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method=method).fit(X_cal, y_cal)
    check_calibrated(calibrated, clf, X_test)
    assert calibrated.calibrated_classifiers_[0].estimator.estimator is clf  # not refitted


@pytest.mark.parametrize("method", METHODS)
def test_calibrating_a_fitted_pipeline_on_file_paths(pipeline_on_files, method):
    pipe, (val_paths, y_val), (test_paths, _) = pipeline_on_files
    assert val_paths.ndim == 1 and str(val_paths[0]).endswith(".png")
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipe), method=method).fit(val_paths,
                                                                                   y_val)
    check_calibrated(calibrated, pipe, test_paths)
    if method == "temperature":  # one temperature for all classes keeps the argmax
        np.testing.assert_array_equal(calibrated.predict(test_paths), pipe.predict(test_paths))


@pytest.mark.parametrize("method", [
    "sigmoid", pytest.param("temperature", marks=pytest.mark.skipif(
        not HAS_TEMPERATURE, reason="temperature scaling arrived in scikit-learn 1.8"))])
def test_calibration_lowers_the_error_of_an_overconfident_cnn_on_held_out_images(
        overconfident, method):
    clf, (X_cal, y_cal), (X_test, y_test) = overconfident
    proba = clf.predict_proba(X_test)
    accuracy = (clf.predict(X_test) == y_test).mean()
    assert proba.max(axis=1).mean() > accuracy + 0.1  # the premise: it claims too much
    before = calibration_error(y_test, proba, labels=clf.classes_)
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method=method).fit(X_cal, y_cal)
    after = calibration_error(y_test, calibrated.predict_proba(X_test),
                              labels=calibrated.classes_)
    assert after < 0.7 * before, (method, before, after)
    if method == "temperature":
        np.testing.assert_array_equal(calibrated.predict(X_test), clf.predict(X_test))


def test_a_calibrated_pipeline_round_trips_through_joblib(pipeline_on_files, tmp_path):
    pipe, (val_paths, y_val), (test_paths, _) = pipeline_on_files
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipe), method="sigmoid").fit(val_paths,
                                                                                      y_val)
    joblib.dump(calibrated, tmp_path / "calibrated.joblib")
    loaded = joblib.load(tmp_path / "calibrated.joblib")
    np.testing.assert_allclose(loaded.predict_proba(test_paths),
                               calibrated.predict_proba(test_paths), rtol=1e-5)
    np.testing.assert_array_equal(loaded.classes_, pipe.classes_)


@needs_safe_keras
@pytest.mark.parametrize("method", METHODS)
def test_a_calibrated_cnn_saves_as_a_safe_file(method, overconfident, tmp_path):
    from toonsklearn.io import load

    clf, (X_cal, y_cal), (X_test, _) = overconfident
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method=method).fit(X_cal,
                                                                                     y_cal)
    save(calibrated, tmp_path / "calibrated.toonsklearn")
    loaded = load(tmp_path / "calibrated.toonsklearn")
    np.testing.assert_allclose(loaded.predict_proba(X_test), calibrated.predict_proba(X_test),
                               rtol=1e-5)
