"""find_label_issues (toonsklearn/inspection/_label_issues.py): out-of-fold probabilities
of any classifier, ranked and flagged by cleanlab."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from tests.conftest import write_image
from tests.keras_helpers import small_cnn
from toonsklearn import ImageFolderLoader
from toonsklearn.embedding import ImageEmbedder
from toonsklearn.exceptions import TargetError
from toonsklearn.inspection import find_label_issues

COLUMNS = ["index", "path", "given_label", "suggested_label", "label_quality", "is_issue"]
FLIPPED = [3, 16, 25]


def colour_images(n=36, size=16, seed=0):
    """Reddish "tom" and bluish "jerry" images with noise: a task any model learns."""
    rng = np.random.default_rng(seed)
    y = np.array(["tom", "jerry"] * (n // 2))
    base = np.where((y == "tom")[:, None], [200, 40, 40], [40, 40, 200])
    noise = rng.normal(0, 25, (n, size, size, 3))
    X = np.clip(base[:, None, None, :] + noise, 0, 255).astype(np.uint8)
    return X, y


def with_wrong_labels(y, flipped=FLIPPED):
    wrong = y.copy()
    wrong[flipped] = np.where(y[flipped] == "tom", "jerry", "tom")
    return wrong


def mean_colour():
    return FunctionTransformer(lambda images: np.asarray(images, float).mean(axis=(1, 2)) / 255)


def stand_in_embedder():
    inputs = keras.Input((16, 16, 3))
    outputs = keras.layers.Conv2D(8, 3, kernel_initializer=keras.initializers.GlorotUniform(
        seed=0))(inputs)
    return ImageEmbedder(keras.Model(inputs, outputs), input_size=(16, 16))


def test_an_embedder_pipeline_finds_the_wrong_labels():
    X, y = colour_images()
    model = make_pipeline(stand_in_embedder(), LogisticRegression(max_iter=1000))
    issues = find_label_issues(model, X, with_wrong_labels(y), cv=3, random_state=0)
    assert list(issues.columns) == COLUMNS and len(issues) == len(X)
    top = issues.head(len(FLIPPED))
    assert sorted(top["index"]) == FLIPPED and top["is_issue"].all()
    assert (top["suggested_label"].to_numpy() == y[top["index"]]).all()
    assert (top["given_label"].to_numpy() != y[top["index"]]).all()
    assert issues["is_issue"].sum() == len(FLIPPED) == issues.attrs["n_issues"]
    assert issues["label_quality"].is_monotonic_increasing
    assert issues["label_quality"].between(0, 1).all()
    assert issues["path"].isna().all()
    assert issues.attrs["classes"] == ["jerry", "tom"]
    assert all(type(label) is str for label in issues["given_label"])


def test_one_of_our_estimators_gives_the_probabilities():
    X, y = colour_images(24)
    issues = find_label_issues(small_cnn(epochs=2), X, with_wrong_labels(y, [5]), cv=2,
                               random_state=0)
    assert list(issues.columns) == COLUMNS and sorted(issues["index"]) == list(range(24))
    assert set(issues["suggested_label"]) <= {"tom", "jerry"}
    assert issues["is_issue"].dtype == bool


def test_labels_keep_their_own_values():
    X, y = colour_images()
    numeric = np.where(with_wrong_labels(y) == "tom", 7, 3)
    issues = find_label_issues(make_pipeline(mean_colour(), LogisticRegression()), X, numeric,
                               cv=3)
    assert set(issues["given_label"]) == {3, 7} and set(issues["suggested_label"]) <= {3, 7}
    assert sorted(issues["index"][:3]) == FLIPPED


def test_paths_fill_the_path_column(tmp_path):
    X, y = colour_images(12, size=8)
    paths = [write_image(tmp_path / f"{i}.png", image) for i, image in enumerate(X)]
    model = make_pipeline(ImageFolderLoader(size=(8, 8)), mean_colour(), LogisticRegression())
    issues = find_label_issues(model, paths, y, cv=2)
    assert sorted(issues["path"]) == sorted(paths)
    assert all(paths[i] == p for i, p in zip(issues["index"], issues["path"], strict=True))


def multilabel_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    Y = rng.integers(0, 2, (n, 2))
    features = Y * 4.0 + rng.normal(0, 0.5, (n, 2))
    return features, Y


@pytest.mark.parametrize("estimator", [OneVsRestClassifier(LogisticRegression()),
                                       MultiOutputClassifier(LogisticRegression())])
def test_multi_label_indicator_matrix(estimator):
    features, Y = multilabel_data()
    wrong = Y.copy()
    wrong[[4, 9]] = 1 - wrong[[4, 9]]
    issues = find_label_issues(estimator, features, wrong, cv=4, random_state=0)
    assert sorted(issues["index"][:2]) == [4, 9] and issues["is_issue"].iloc[:2].all()
    row = issues.set_index("index").loc[4]
    assert row["given_label"] == tuple(np.flatnonzero(wrong[4]).tolist())
    assert row["suggested_label"] == tuple(np.flatnonzero(Y[4]).tolist())
    assert issues.attrs["multi_label"] is True


def test_multi_label_columns_name_the_labels():
    features, Y = multilabel_data()
    frame = pd.DataFrame(Y, columns=["tom", "jerry"])
    issues = find_label_issues(OneVsRestClassifier(LogisticRegression()), features, frame,
                               cv=4)
    both = issues.set_index("index").loc[int(np.flatnonzero(Y.sum(axis=1) == 2)[0])]
    assert both["given_label"] == ("tom", "jerry")
    none = issues.set_index("index").loc[int(np.flatnonzero(Y.sum(axis=1) == 0)[0])]
    assert none["given_label"] == ()
    assert issues.attrs["classes"] == ["tom", "jerry"]


def test_a_seed_repeats_the_folds_and_a_splitter_is_used_as_given():
    X, y = colour_images()
    model = make_pipeline(mean_colour(), LogisticRegression())
    first = find_label_issues(model, X, with_wrong_labels(y), cv=3, random_state=1)
    again = find_label_issues(model, X, with_wrong_labels(y), cv=3, random_state=1)
    pd.testing.assert_frame_equal(first, again)
    splitter = find_label_issues(model, X, with_wrong_labels(y),
                                 cv=StratifiedKFold(3, shuffle=True, random_state=1))
    pd.testing.assert_frame_equal(first, splitter)
    folds = list(KFold(3).split(X))
    assert len(find_label_issues(model, X, y, cv=folds)) == len(X)


def test_a_classifier_without_predict_proba_is_refused():
    X, y = colour_images(12)
    with pytest.raises(TypeError, match=r"LinearSVC\(\) has no predict_proba.*Calibrated"):
        find_label_issues(LinearSVC(), X.reshape(12, -1), y)


def test_one_class_is_refused():
    X, _ = colour_images(12)
    with pytest.raises(TargetError, match="y has one class only, 'tom'"):
        find_label_issues(LogisticRegression(), X.reshape(12, -1), ["tom"] * 12)


def test_a_class_smaller_than_the_folds_says_how_to_fix_it():
    X, y = colour_images(12)
    y = y.copy()
    y[[1, 3, 5, 7]] = "tom"  # jerry keeps 2 images
    with pytest.raises(TargetError, match="Class 'jerry' has 2 images, fewer than the cv=5 "
                                          ".*pass cv=2 \\(fewer folds\\) or add images of "
                                          "'jerry'"):
        find_label_issues(LogisticRegression(), X.reshape(12, -1), y)
    y[0] = "spike"
    with pytest.raises(TargetError, match="'spike' has 1 image,.*add images of 'spike'"):
        find_label_issues(LogisticRegression(), X.reshape(12, -1), y, cv=2)


@pytest.mark.parametrize("y, words", [
    (np.linspace(0, 1, 12), "its values look continuous"),
    (np.arange(11), "X has 12 samples but y has 11 labels"),
    ([{"tom"}] * 12, "MultiLabelBinarizer"),
    (np.full((12, 2), 2), "values other than 0 and 1 \\(\\[2\\]\\)"),
    (np.arange(24).reshape(12, 2) % 3, "values look multiclass-multioutput"),
    (np.ones((12, 1)), "one class only"),
    (np.array(["tom", None] * 6, dtype=object), "cannot be sorted together"),
])
def test_wrong_targets_are_refused_by_name(y, words):
    X, _ = colour_images(12)
    with pytest.raises(TargetError, match=words):
        find_label_issues(LogisticRegression(), X.reshape(12, -1), y)


@pytest.mark.parametrize("cv", [1, 0, 2.5, True, None])
def test_wrong_cv_is_refused(cv):
    X, y = colour_images(12)
    with pytest.raises(InvalidParameterError, match="cv must be"):
        find_label_issues(LogisticRegression(), X.reshape(12, -1), y, cv=cv)


def test_inputs_are_left_unchanged():
    X, y = colour_images()
    y = with_wrong_labels(y)
    X.flags.writeable = False
    y.flags.writeable = False
    model = make_pipeline(mean_colour(), LogisticRegression())
    find_label_issues(model, X, y, cv=3)
    assert not hasattr(model, "classes_")  # folds fit clones
    assert np.array_equal(y, with_wrong_labels(colour_images()[1]))
