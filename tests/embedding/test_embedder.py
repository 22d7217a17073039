"""ImageEmbedder (toonsklearn/embedding/_embedder.py): the frozen backbone's features as a
transformer, on the feature path and cache TransferClassifier uses."""

import os
import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from tests.conftest import solid, write_image
from tests.io.conftest import needs_safe_keras
from tests.keras_helpers import tiny_backbone, toons
from toonsklearn import ImageFolderLoader, TransferClassifier
from toonsklearn.embedding import ImageEmbedder
from toonsklearn.exceptions import ImageInputError, ToonsklearnError
from toonsklearn.features import FOLDER
from toonsklearn.io import load, save


def conv_backbone(size=16, filters=8):
    """A small but real pretrained-network stand-in: fixed weights, a feature map."""
    inputs = keras.Input((size, size, 3))
    initializer = keras.initializers.GlorotUniform(seed=0)
    outputs = keras.layers.Conv2D(filters, 3, kernel_initializer=initializer)(inputs)
    return keras.Model(inputs, outputs, name="stand_in")


def cache_entries(folder):
    """The feature files in a cache folder, by extractor sub-folder."""
    root = os.path.join(folder, FOLDER)
    return {extractor: sorted(name for _, _, files in os.walk(os.path.join(root, extractor))
                              for name in files)
            for extractor in os.listdir(root) if extractor != "recipes"}


def test_features_are_float32_rows_with_prefixed_names():
    X, _ = toons(12)
    embedder = ImageEmbedder(conv_backbone(), input_size=(16, 16))
    embeddings = embedder.fit_transform(X)
    assert embeddings.shape == (12, 8) and embeddings.dtype == np.float32
    assert np.isfinite(embeddings).all() and embeddings.std() > 0
    assert embedder.get_feature_names_out().tolist() == [f"imageembedder{i}" for i in range(8)]


def test_an_embedder_and_a_classifier_share_every_cache_entry(tmp_path):
    X, y = toons(24)
    backbone = conv_backbone()
    clf = TransferClassifier(backbone, input_size=(16, 16), epochs=1, memory=tmp_path,
                             random_state=0).fit(X, y)
    after_fit = cache_entries(tmp_path)
    assert len(after_fit) == 1 and len(next(iter(after_fit.values()))) == 24
    embeddings = ImageEmbedder(backbone, memory=tmp_path).fit_transform(X)
    assert cache_entries(tmp_path) == after_fit  # not one image computed again
    # ...and what the classifier's head trained on is what the embedder gives
    features = keras.Model(clf.model_.input, clf.model_.get_layer("features").output)
    np.testing.assert_allclose(embeddings, features.predict(X.astype(np.float32), verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_a_classifier_reads_what_an_embedder_cached(tmp_path):
    X, y = toons(16)
    backbone = conv_backbone()
    ImageEmbedder(backbone, memory=tmp_path).fit_transform(X)
    before = cache_entries(tmp_path)
    TransferClassifier(backbone, epochs=1, memory=tmp_path, random_state=0).fit(X, y)
    assert cache_entries(tmp_path) == before


def test_a_warm_cache_gives_the_cold_features(tmp_path):
    X, _ = toons(16)
    cold = ImageEmbedder(conv_backbone(), memory=tmp_path).fit_transform(X)
    warm = ImageEmbedder(conv_backbone(), memory=tmp_path).fit_transform(X)
    np.testing.assert_array_equal(cold, warm)


def test_max_pooling_is_another_extractor_and_other_features(tmp_path):
    X, _ = toons(8)
    average = ImageEmbedder(conv_backbone(), memory=tmp_path).fit_transform(X)
    maximum = ImageEmbedder(conv_backbone(), pooling="max", memory=tmp_path).fit_transform(X)
    assert len(cache_entries(tmp_path)) == 2
    assert (maximum >= average - 1e-6).all() and not np.allclose(maximum, average)


def test_paths_give_the_features_of_the_decoded_images(toon_tree):
    paths = np.array(sorted(str(p) for p in toon_tree.glob("**/*.png")))[:20]
    images = ImageFolderLoader(size=None).fit_transform(paths)
    embedder = ImageEmbedder(conv_backbone(), batch_size=6)
    np.testing.assert_array_equal(embedder.fit_transform(paths), embedder.transform(images))
    assert embedder.image_shape_ == (16, 16, 3)


def test_images_of_another_size_are_resized_to_the_backbone_input():
    X, _ = toons(6, size=24)
    embedder = ImageEmbedder(conv_backbone(16)).fit(toons(2)[0])
    assert embedder.transform(X).shape == (6, 8)


def test_the_backbone_runs_at_its_own_input_size_as_in_the_classifier():
    X, _ = toons(4, size=24)
    assert ImageEmbedder(conv_backbone(16)).fit(X).image_shape_ == (16, 16, 3)
    registry = ImageEmbedder("mobilenet_v2", weights=None, random_state=0)
    assert registry.fit(X).image_shape_ == (224, 224, 3)
    assert ImageEmbedder(tiny_backbone).fit(X).image_shape_ == (24, 24, 3)  # any size: X's


def test_fit_learns_nothing_from_the_pixels():
    X, _ = toons(10)
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, X.shape, dtype=np.uint8)
    embedder = ImageEmbedder(tiny_backbone, random_state=3)
    np.testing.assert_array_equal(clone(embedder).fit(X).transform(X),
                                  clone(embedder).fit(noise).transform(X))


def test_transform_before_fit_fits_first():
    X, _ = toons(6)
    embedder = ImageEmbedder(conv_backbone())
    assert embedder.transform(X).shape == (6, 8)
    assert embedder.image_shape_ == (16, 16, 3)


def test_a_registry_backbone_with_random_weights_is_seeded():
    X, _ = toons(4, size=32)
    make = lambda: ImageEmbedder("mobilenet_v2", weights=None, random_state=0)  # noqa: E731
    first, second = make().fit_transform(X), make().fit_transform(X)
    assert first.shape == (4, 1280)
    np.testing.assert_array_equal(first, second)


def test_a_one_column_frame_of_paths_is_read_as_paths(toon_tree):
    paths = sorted(str(p) for p in toon_tree.glob("**/*.png"))[:4]
    embedder = ImageEmbedder(conv_backbone())
    np.testing.assert_array_equal(embedder.fit_transform(pd.DataFrame({"path": paths})),
                                  embedder.transform(np.array(paths)))


def test_pandas_output_keeps_the_index_of_the_paths_and_names_the_columns(toon_tree):
    paths = sorted(str(p) for p in toon_tree.glob("**/*.png"))[:5]
    table = pd.DataFrame({"path": paths}, index=[f"toon{i}" for i in range(5)])
    frame = ImageEmbedder(conv_backbone()).set_output(transform="pandas").fit_transform(table)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (5, 8)
    assert frame.index.tolist() == table.index.tolist()
    assert frame.columns[0] == "imageembedder0" and frame.dtypes.iloc[0] == np.float32


def test_a_pipeline_trains_scikit_learn_models_on_the_embeddings():
    X, y = toons(40)
    for model in (LogisticRegression(max_iter=500), KNeighborsClassifier(3)):
        pipe = make_pipeline(ImageEmbedder(conv_backbone()), model).fit(X, y)
        assert pipe.score(X, y) > 0.5


def test_pickle_and_clone_keep_the_features():
    X, _ = toons(8)
    embedder = ImageEmbedder(conv_backbone(), random_state=0).fit(X)
    expected = embedder.transform(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(embedder)).transform(X), expected)
    np.testing.assert_array_equal(clone(embedder).fit(X).transform(X), expected)


@needs_safe_keras
def test_a_safe_file_keeps_the_features(tmp_path):
    X, _ = toons(8)
    embedder = ImageEmbedder(conv_backbone(), random_state=0).fit(X)
    save(embedder, tmp_path / "embedder.toonsklearn")
    loaded = load(tmp_path / "embedder.toonsklearn")
    assert isinstance(loaded, ImageEmbedder)
    np.testing.assert_array_equal(loaded.transform(X), embedder.transform(X))


def test_an_unknown_backbone_lists_the_known_ones_and_changes_nothing():
    embedder = ImageEmbedder("mobilenet_v9")
    with pytest.raises(ValueError, match="efficientnet_lite0"):
        embedder.fit(toons(4)[0])
    assert "model_" not in vars(embedder) and "image_shape_" not in vars(embedder)


def test_a_backbone_without_a_feature_map_or_vector_is_refused_by_name():
    inputs = keras.Input((16, 16, 3))
    tokens = keras.layers.Reshape((256, 3))(inputs)
    embedder = ImageEmbedder(keras.Model(inputs, tokens, name="token_maker"))
    with pytest.raises(InvalidParameterError, match="token_maker.*feature map"):
        embedder.fit(toons(4)[0])
    assert "image_shape_" not in vars(embedder)


def test_a_file_that_does_not_decode_is_named(tmp_path):
    good = write_image(tmp_path / "good.png", solid(16, 16))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    embedder = ImageEmbedder(conv_backbone()).fit(np.array([good]))
    with pytest.raises(ToonsklearnError, match="bad.png"):
        embedder.transform(np.array([good, str(bad)]))
    with pytest.raises(ToonsklearnError, match="missing.png"):
        embedder.transform(np.array([good, str(tmp_path / "missing.png")]))


def test_a_fifo_among_the_paths_is_named_not_read(tmp_path):
    good = write_image(tmp_path / "good.png", solid(16, 16))
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ToonsklearnError, match="pipe.png"):
        ImageEmbedder(conv_backbone()).fit_transform(np.array([good, str(fifo)]))


@pytest.mark.parametrize("X, match", [
    (np.array([], dtype=str), "empty"),
    (np.zeros((3, 16, 16, 5), dtype=np.uint8), "channels"),
    ("toons/tom.png", r"one path.*\['toons/tom.png'\].*load_image_folder"),
    (None, "no images"),
    ([], "no images"),
    ([np.zeros((16, 16, 3), np.uint8), np.zeros((20, 12, 3), np.uint8)],
     "different shapes.*ImageTransformer"),
])
def test_what_is_not_images_is_refused_with_the_fix(X, match):
    with pytest.raises((ImageInputError, ValueError), match=match):
        ImageEmbedder(conv_backbone()).fit_transform(X)


@parametrize_with_checks([ImageEmbedder(tiny_backbone, preprocessing="none", random_state=0)],
                         expected_failed_checks=lambda est: {})
def test_sklearn_common_checks(estimator, check):
    check(estimator)


def test_set_params_then_transform_uses_the_new_network():
    X, _ = toons(6)
    embedder = ImageEmbedder(conv_backbone()).fit(X)
    average = embedder.transform(X)
    embedder.set_params(pooling="max")
    maximum = embedder.transform(X)
    assert not np.allclose(maximum, average)
    np.testing.assert_array_equal(maximum, ImageEmbedder(conv_backbone(), pooling="max")
                                  .fit_transform(X))
    embedder.set_params(backbone=conv_backbone(filters=5))
    assert embedder.transform(X).shape == (6, 5)
    assert embedder.get_feature_names_out().shape == (5,)


def test_a_failed_transform_of_an_unfitted_embedder_leaves_it_unfitted(tmp_path):
    good = write_image(tmp_path / "good.png", solid(16, 16))
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(open(good, "rb").read()[:60])  # the header reads, the pixels not
    embedder = ImageEmbedder(conv_backbone())
    with pytest.raises(ToonsklearnError, match="truncated.png"):
        embedder.transform(np.array([good, str(truncated)]))
    assert "model_" not in vars(embedder) and "image_shape_" not in vars(embedder)


def test_zero_images_and_an_oversized_input_are_refused_by_name():
    X, _ = toons(4)
    with pytest.raises(ImageInputError, match="no images"):
        ImageEmbedder(conv_backbone()).fit_transform(X[:0])
    with pytest.raises(ImageInputError, match="no images"):
        ImageEmbedder(conv_backbone()).fit(X).transform(X[:0])
    with pytest.raises(InvalidParameterError, match="input_size.*smaller"):
        ImageEmbedder(tiny_backbone, input_size=(100_000, 100_000)).fit(X)
    with pytest.raises(InvalidParameterError, match="memory=''"):
        ImageEmbedder(conv_backbone(), memory="").fit_transform(X)


def test_a_2d_matrix_fit_leaves_no_feature_count_for_a_later_image_fit():
    X, _ = toons(4)
    embedder = ImageEmbedder(tiny_backbone).fit(np.random.default_rng(0).normal(size=(5, 20)))
    assert embedder.n_features_in_ == 20
    assert not hasattr(embedder.fit(X), "n_features_in_")
