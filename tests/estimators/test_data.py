"""Where an estimator's images come from (toonsklearn/estimators/_data.py): file paths,
read at the size the files share, arrays resized as the transformer would, and the checks
on X that say what to do."""

import os

import numpy as np
import pytest
import scipy.sparse
from sklearn.model_selection import GridSearchCV, cross_val_score

from tests.conftest import solid, write_image
from tests.keras_helpers import small_cnn, toons
from toonsklearn import ImageFolderLoader, ImageTransformer, load_image_folder
from toonsklearn.exceptions import (
    ImageDecodeError,
    MissingFileError,
    NotRegularFileError,
    ScaledImagesWarning,
)


def test_cross_val_score_and_grid_search_on_paths(toon_tree):
    data = load_image_folder(toon_tree, subset="train")
    scores = cross_val_score(small_cnn(input_size=(16, 16)), data.paths, data.target, cv=2)
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))
    search = GridSearchCV(small_cnn(input_size=(16, 16)),
                          {"learning_rate": [0.01, 0.001]}, cv=2).fit(data.paths, data.target)
    assert search.best_params_["learning_rate"] in (0.01, 0.001)
    assert search.predict(data.paths[:3]).shape == (3,)


def test_path_mode_matches_array_mode(toon_tree):
    data = load_image_folder(toon_tree, subset="train")
    images = ImageFolderLoader(size=(16, 16)).transform(data.paths)
    from_paths = small_cnn(input_size=(16, 16)).fit(data.paths, data.target)
    from_arrays = small_cnn().fit(images, data.target)
    np.testing.assert_allclose(from_paths.predict_proba(data.paths),
                               from_arrays.predict_proba(images), rtol=1e-5, atol=1e-6)
    pd_history = from_paths.history_.reset_index(drop=True)
    np.testing.assert_allclose(pd_history["loss"], from_arrays.history_["loss"], rtol=1e-5)


def test_path_mode_trains_at_the_size_the_files_share(toon_tree):
    """As an array of the same files would: 16x16 drawings train at 16x16, not 128x128."""
    data = load_image_folder(toon_tree, subset="train")
    from_paths = small_cnn().fit(data.paths, data.target)
    images = ImageFolderLoader(size=None).fit_transform(data.paths)  # at their own size
    from_arrays = small_cnn().fit(images, data.target)
    assert from_paths.image_shape_ == from_arrays.image_shape_ == (16, 16, 3)
    np.testing.assert_allclose(from_paths.predict_proba(data.paths),
                               from_arrays.predict_proba(images), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sizes", [[(16, 16), (16, 20)], [(8, 140), (8, 140)]],
                         ids=["mixed", "too-wide"])
def test_path_mode_trains_at_the_default_size_unless_the_files_share_a_small_one(
        tmp_path, sizes):
    from toonsklearn.estimators import DEFAULT_PATH_SIZE

    paths = [write_image(tmp_path / f"{i}.png", solid(*size, colour=(40 * i, 0, 0)))
             for i, size in enumerate(sizes * 2)]
    clf = small_cnn(epochs=1).fit(paths, [0, 0, 1, 1])
    assert clf.image_shape_ == (*DEFAULT_PATH_SIZE, 3)
    assert small_cnn(input_size=(8, 8), epochs=1).fit(paths, [0, 0, 1, 1]).image_shape_ == (
        8, 8, 3)  # input_size still wins


def test_an_unreadable_file_fails_the_fit_before_training_and_names_it(toon_tree, tmp_path):
    data = load_image_folder(toon_tree, subset="train")
    (tmp_path / "fake.png").write_text("not an image")
    os.mkfifo(tmp_path / "pipe.png")
    clf = small_cnn()
    for bad, error in [("fake.png", ImageDecodeError), ("pipe.png", NotRegularFileError)]:
        with pytest.raises(error, match=bad):  # from its header, without a hang
            clf.fit([*data.paths[:6], str(tmp_path / bad)], [*data.target[:6], "a"])
        assert not hasattr(clf, "image_shape_") and not hasattr(clf, "model_")


def test_path_mode_predict_names_a_missing_or_corrupt_file(toon_tree, tmp_path):
    data = load_image_folder(toon_tree, subset="train")
    clf = small_cnn(input_size=(16, 16), epochs=1).fit(data.paths, data.target)
    (tmp_path / "fake.png").write_text("not an image")
    with pytest.raises(ImageDecodeError, match="fake.png"):
        clf.predict([*data.paths[:3], str(tmp_path / "fake.png")])
    with pytest.raises(MissingFileError, match="gone.png"):
        clf.predict_proba([str(tmp_path / "gone.png")])


def test_arrays_of_another_size_are_resized_like_the_transformer():
    X, y = toons(size=20)
    clf = small_cnn(input_size=(16, 16)).fit(X, y)
    assert clf.image_shape_ == (16, 16, 3)
    resized = ImageTransformer(size=(16, 16)).fit_transform(X)
    np.testing.assert_allclose(clf.predict_proba(X), clf.predict_proba(resized), rtol=1e-6)


def test_bad_input_gets_errors_that_say_what_to_do():
    X, y = toons()
    clf = small_cnn().fit(X, y)
    with pytest.raises(ValueError, match="3 channels.*\\(n_samples, height, width, 3\\)"):
        clf.predict(X[..., :1])
    with pytest.raises(TypeError, match="sparse"):
        small_cnn().fit(scipy.sparse.csr_matrix(np.ones((4, 3))), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="one class"):
        small_cnn().fit(X, ["tom"] * len(X))
    with pytest.raises(ValueError, match="requires y"):
        small_cnn().fit(X, None)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*'sgd'"):
        small_cnn(optimizer="adamm").fit(X, y)
    matrix = small_cnn().fit(np.random.default_rng(0).random((20, 4)), [0, 1] * 10)
    with pytest.raises(ValueError, match="X has 3 features.*expecting 4"):
        matrix.predict(np.zeros((2, 3)))


def test_float_images_in_unit_range_warn():
    X, y = toons()
    with pytest.warns(ScaledImagesWarning, match="Multiply by 255"):
        small_cnn(epochs=1).fit(X / 255.0, y)


def test_predict_warns_on_images_scaled_to_the_unit_range():
    X, y = toons()
    clf = small_cnn(epochs=1).fit(X, y)
    with pytest.warns(ScaledImagesWarning, match="Multiply by 255"):
        clf.predict(X / 255.0)


def test_no_images_outlive_the_call_that_predicted_them():
    """TensorFlow keeps every numpy_function callable for the life of the process: the
    pipeline's must not hold the images, or each predict would keep its input."""
    import gc
    import weakref

    X, y = toons(20)
    clf = small_cnn().fit(X, y)
    images = X[:6].copy()  # at the model's size: the pipeline reads this very array
    clf.predict_proba(images)
    watched = weakref.ref(images)
    del images
    gc.collect()
    assert watched() is None
    assert clf.predict(X[:4]).shape == (4,)  # the pipelines still work after
