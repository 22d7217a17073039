"""``EmbeddingDisplay`` (toonsklearn/plotting/_embedding.py): images as thumbnails on a
2-D map of their embeddings, framed in their class's colour."""

import keras
import numpy as np
import pytest
from PIL import Image
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.manifold import TSNE
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from tests.plotting.conftest import rendered
from toonsklearn.datasets import make_toons
from toonsklearn.embedding import ImageEmbedder
from toonsklearn.exceptions import MissingFileError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.colors import to_rgba  # noqa: E402

from toonsklearn.plotting import EmbeddingDisplay  # noqa: E402


@pytest.fixture(scope="module")
def three_toons():
    """60 images of three characters, 20 each, and their pixels as embeddings."""
    X, y = make_toons(60, task="multiclass", n_classes=3, image_size=16, random_state=0)
    return X, y, X.reshape(len(X), -1) / 255.0


def tiny_embedder():
    inputs = keras.Input((16, 16, 3))
    return ImageEmbedder(keras.Model(inputs, keras.layers.Conv2D(8, 3)(inputs)),
                         random_state=0)


def colour_count(figure) -> int:
    """How many distinct colours the figure has, rendered by the Agg canvas."""
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3]
    return len(np.unique(pixels.reshape(-1, 3), axis=0))


def blobs(n_per_class=8, seed=0):
    """Two tight, far-apart clusters of 6-D embeddings, labelled by cluster."""
    rng = np.random.default_rng(seed)
    embeddings = np.vstack([rng.normal(0, 1, (n_per_class, 6)),
                            rng.normal(12, 1, (n_per_class, 6))])
    return embeddings, np.repeat(["tom", "jerry"], n_per_class)


def test_map_places_every_image_and_frames_a_stratified_sample_in_class_colours(three_toons):
    X, y, embeddings = three_toons
    display = EmbeddingDisplay.from_predictions(embeddings, X, y, max_images=24,
                                                random_state=0)
    np.testing.assert_allclose(display.coordinates,
                               PCA(n_components=2, random_state=0).fit_transform(embeddings))
    assert display.method == "pca" and display.ax_.get_xlabel() == "PC 1"
    # Every image is a dot in its class's collection; 24 of them also a thumbnail.
    assert sum(len(dots.get_offsets()) for dots in display.dots_) == 60
    for dots, label in zip(display.dots_, display.classes, strict=True):
        np.testing.assert_allclose(dots.get_offsets(), display.coordinates[y == label])
    assert len(display.thumbnails_) == len(display.indices) == 24
    assert list(display.ax_.artists) == display.thumbnails_
    shown, counts = np.unique(y[display.indices], return_counts=True)
    assert shown.tolist() == ["jerry", "spike", "tom"] and counts.tolist() == [8, 8, 8]
    # One legend entry per class, its frame colour the colour of that class's thumbnails.
    legend = display.ax_.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["jerry", "spike", "tom"]
    colour_of = {text.get_text(): to_rgba(handle.get_markeredgecolor())
                 for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)}
    assert len(set(colour_of.values())) == 3
    for thumbnail, i in zip(display.thumbnails_, display.indices, strict=True):
        np.testing.assert_allclose(thumbnail.xy, display.coordinates[i])
        np.testing.assert_array_equal(thumbnail.offsetbox.get_data(), X[i])
        assert to_rgba(thumbnail.patch.get_edgecolor()) == colour_of[y[i]]
        assert to_rgba(display.dots_[list(display.classes).index(y[i])]
                       .get_facecolor()[0], alpha=1) == colour_of[y[i]]
    rendered(display.figure_)
    dots_only = EmbeddingDisplay.from_predictions(embeddings, X, y, max_images=0)
    assert dots_only.thumbnails_ == [] and len(dots_only.indices) == 0
    assert colour_count(display.figure_) > 5 * colour_count(dots_only.figure_)


def test_max_images_samples_reproducibly_each_class_its_share():
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(100, 4))
    images = rng.integers(0, 256, size=(100, 8, 8, 3), dtype=np.uint8)
    y = np.array(["tom"] * 90 + ["jerry"] * 10)
    ten = EmbeddingDisplay.from_predictions(embeddings, images, y, max_images=10,
                                            random_state=1)
    assert sorted(y[ten.indices].tolist()) == ["jerry"] + ["tom"] * 9
    again = EmbeddingDisplay.from_predictions(embeddings, images, y, max_images=10,
                                              random_state=1)
    np.testing.assert_array_equal(ten.indices, again.indices)
    other = EmbeddingDisplay.from_predictions(embeddings, images, y, max_images=10,
                                              random_state=2)
    assert not np.array_equal(ten.indices, other.indices)
    two = EmbeddingDisplay.from_predictions(embeddings, images, y, max_images=2,
                                            random_state=0)
    assert sorted(y[two.indices].tolist()) == ["jerry", "tom"]  # the rare class has one
    unlabelled = EmbeddingDisplay.from_predictions(embeddings, images, max_images=7,
                                                   random_state=0)
    assert len(unlabelled.thumbnails_) == len(set(unlabelled.indices.tolist())) == 7
    for max_images in (None, 100, 500):
        everything = EmbeddingDisplay.from_predictions(embeddings, images, y,
                                                       max_images=max_images)
        np.testing.assert_array_equal(everything.indices, np.arange(100))


def test_tsne_and_pca_maps_keep_separate_clusters_apart():
    embeddings, y = blobs()
    for method in ("pca", "tsne"):
        display = EmbeddingDisplay.from_predictions(embeddings, np.zeros((16, 8, 8, 3),
                                                                         np.uint8),
                                                    y, method=method, random_state=0)
        # Each image's nearest neighbour on the map is of its own class.
        knn = KNeighborsClassifier(n_neighbors=1).fit(display.coordinates, y)
        _, neighbours = knn.kneighbors(n_neighbors=1)
        assert (y[neighbours[:, 0]] == y).all(), method
    # min(30, (16 - 1) / 3): at 15 (any below 16 would do) every image would be every
    # other's neighbour, and the two clusters would merge into one cloud.
    expected = TSNE(n_components=2, perplexity=5.0, init="pca",
                    random_state=0).fit_transform(embeddings)
    np.testing.assert_allclose(display.coordinates, expected, rtol=1e-5, atol=1e-5)
    assert display.method == "tsne" and display.ax_.get_xlabel() == "t-SNE 1"
    assert display.ax_.get_xticks().size == 0  # t-SNE's scale means nothing
    tiny = EmbeddingDisplay.from_predictions(embeddings[:3], np.zeros((3, 8, 8, 3), np.uint8),
                                             method="tsne", random_state=0)
    assert np.isfinite(tiny.coordinates).all()  # perplexity 2/3 for 3 images


def test_method_may_be_an_estimator_with_fit_transform():
    embeddings, y = blobs()
    images = np.zeros((16, 8, 8, 3), np.uint8)
    svd = TruncatedSVD(n_components=2, random_state=0)
    display = EmbeddingDisplay.from_predictions(embeddings, images, y, method=svd)
    np.testing.assert_allclose(display.coordinates, TruncatedSVD(
        n_components=2, random_state=0).fit_transform(embeddings), rtol=1e-6)
    assert display.method == "TruncatedSVD" and not hasattr(svd, "components_")  # cloned
    with pytest.raises(ValueError, match=r"returned shape \(16, 3\).*n_components=2"):
        EmbeddingDisplay.from_predictions(embeddings, images, y,
                                          method=TruncatedSVD(n_components=3))


def test_from_estimator_embeds_arrays_and_image_files_alike(three_toons, tmp_path):
    X, y, _ = three_toons
    X, y = X[:24], y[:24]
    embedder = tiny_embedder()
    on_arrays = EmbeddingDisplay.from_estimator(embedder, X, y, max_images=9, random_state=0)
    embeddings = embedder.transform(X)
    assert embeddings.shape == (24, 8)
    np.testing.assert_allclose(on_arrays.coordinates, PCA(
        n_components=2, random_state=0).fit_transform(embeddings), atol=1e-3)  # float32
    assert len(on_arrays.thumbnails_) == 9
    rendered(on_arrays.figure_)
    paths = []
    for i, image in enumerate(X):
        Image.fromarray(image).save(tmp_path / f"{i:02d}.png")
        paths.append(str(tmp_path / f"{i:02d}.png"))
    on_files = EmbeddingDisplay.from_estimator(embedder, np.array(paths), y, max_images=9,
                                               random_state=0)
    np.testing.assert_allclose(on_files.coordinates, on_arrays.coordinates, atol=1e-3)
    np.testing.assert_array_equal(on_files.indices, on_arrays.indices)
    for thumbnail, i in zip(on_files.thumbnails_, on_files.indices, strict=True):
        np.testing.assert_array_equal(thumbnail.offsetbox.get_data(), X[i])  # PNG: exact
    rendered(on_files.figure_)
    # A Pipeline ending in a transformer works as the embedder too.
    pipe = make_pipeline(embedder, FunctionTransformer(lambda e: e * 2))
    doubled = EmbeddingDisplay.from_estimator(pipe, X, y, max_images=0)
    np.testing.assert_allclose(np.abs(doubled.coordinates), 2 * np.abs(on_arrays.coordinates),
                               atol=2e-3)


def test_thumbnails_of_large_files_are_decoded_small_keeping_their_shape(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(4):
        pixels = rng.integers(0, 256, size=(100, 200, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"wide{i}.png")
        paths.append(str(tmp_path / f"wide{i}.png"))
    display = EmbeddingDisplay.from_predictions(rng.normal(size=(4, 3)), paths)
    assert [image.shape for image in display.images] == [(32, 64, 3)] * 4
    with pytest.raises(MissingFileError, match="gone.png"):
        EmbeddingDisplay.from_predictions(rng.normal(size=(2, 3)),
                                          [paths[0], str(tmp_path / "gone.png")])


def test_plot_draws_into_your_axes_and_in_grey_without_labels():
    import matplotlib.pyplot as plt

    embeddings, _ = blobs()
    images = np.full((16, 8, 8, 1), 200, np.uint8)  # one channel
    figure, axes = plt.subplots(1, 2)
    display = EmbeddingDisplay.from_predictions(embeddings, images, ax=axes[1],
                                                thumbnail_size=12)
    assert display.figure_ is figure and display.ax_ is axes[1]
    assert display.ax_.get_legend() is None and display.ax_.get_title() == ""
    assert len(display.dots_) == 1 and display.classes is None
    assert {to_rgba(t.patch.get_edgecolor()) for t in display.thumbnails_} == {to_rgba("0.45")}
    assert display.thumbnails_[0].offsetbox.get_data().shape == (8, 8)
    again = EmbeddingDisplay(display.coordinates, display.images, ["a"] * 16).plot(
        legend=False)
    assert again.ax_.get_legend() is None and again.figure_ is not figure


@pytest.mark.parametrize("call, error, message", [
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i[:5], y),
     ValueError, r"images holds 5 images but embeddings has 6 rows"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i, y[:4]),
     ValueError, r"y has 4 labels but embeddings has 6 rows"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i, y, method="umap"),
     ValueError, r"method must be one of \['pca', 'tsne'\].*received method='umap'"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e[:, 0], i, y),
     ValueError, r"embeddings must be 2-D .*received shape \(6,\)"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e[:, :, None], i, y),
     ValueError, r"embeddings must be 2-D .*received shape \(6, 3, 1\)"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(np.where(e > 0.9, np.nan, e), i, y),
     ValueError, r"NaN or infinite values in 1 rows \(the first is row 5\)"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e[:, :1], i, y),
     ValueError, r"method='pca' needs at least 2 features.*shape \(6, 1\)"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e[:1], i[:1], y[:1], method="tsne"),
     ValueError, r"at least 2 images.*1 image"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i, np.c_[y, y]),
     ValueError, r"one class per image.*\(6, 2\)"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i.reshape(6, -1), y),
     ValueError, r"images must be an array .*received shape \(6, 192\)"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i, y, max_images=-1),
     ValueError, r"max_images must be an int >= 0 .*received -1"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i, y, max_images=True),
     ValueError, r"max_images .*received True"),
    (lambda e, i, y: EmbeddingDisplay.from_predictions(e, i, y, thumbnail_size=0),
     ValueError, r"thumbnail_size must be a positive number .*received 0"),
    (lambda e, i, y: EmbeddingDisplay.from_estimator(KNeighborsClassifier(), i, y),
     TypeError, r"received KNeighborsClassifier, which has no transform"),
    (lambda e, i, y: EmbeddingDisplay(e[:, :2], i, y[:5]),
     ValueError, r"y has 5 labels but coordinates has 6 rows"),
    (lambda e, i, y: EmbeddingDisplay(e[:, :2], i[:2], y, indices=[0, 9]),
     ValueError, r"rows of coordinates, 0 to 5.*from 0 to 9"),
    (lambda e, i, y: EmbeddingDisplay(e[:, :2], i[:3], y, indices=[0, 1]),
     ValueError, r"images holds 3 thumbnails but indices 2 rows"),
])
def test_bad_input_is_refused_with_the_bad_value_and_the_fix(call, error, message):
    embeddings = np.linspace(0, 1, 18).reshape(6, 3)
    images = np.zeros((6, 8, 8, 3), np.uint8)
    y = np.array(["tom", "jerry"] * 3)
    with pytest.raises(error, match=message):
        call(embeddings, images, y)


def test_identical_embeddings_are_refused_before_tsne_crashes():
    images = np.zeros((5, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="same features"):
        EmbeddingDisplay.from_predictions(np.ones((5, 4)), images, method="tsne",
                                          random_state=0)
