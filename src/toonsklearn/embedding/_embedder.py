"""``ImageEmbedder``: a frozen backbone's pooled features as a scikit-learn transformer."""

from __future__ import annotations

import contextlib
import os
from numbers import Integral

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..backbones import PREPROCESSING_MODES, get_backbone_spec
from ..estimators._callbacks import predict_verbose
from ..estimators._data import ImageInputMixin
from ..estimators._extraction import (
    POOLINGS,
    backbone_input_size,
    extract_features,
    feature_network,
)
from ..estimators._training import _deterministic, fit_seed
from ..exceptions import ImageInputError
from ..features import extractor_key

__all__ = ["ImageEmbedder"]


class ImageEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ImageInputMixin,
                    BaseEstimator):
    """Embed images with a frozen pretrained backbone: one feature vector an image.

    The two-line transfer baseline, ``make_pipeline(ImageEmbedder(),
    LogisticRegression())``, and the input of any scikit-learn model that wants 2-D
    features: k nearest neighbours for a few drawings a class, ``NearestNeighbors``
    for "drawings like this one", clustering to discover the characters in unlabelled
    frames. The features are exactly those :class:`~toonsklearn.TransferClassifier`
    trains its head on (the backbone's own preprocessing and input size, then
    pooling), computed by the same code, so with one ``memory`` folder an embedder
    and a classifier share every computed image.

    Stateless: ``fit`` learns nothing from the images; it builds the network (the
    backbone's weights are read then) and fixes the input size. ``transform`` on an
    embedder not fitted yet, or whose network parameters ``set_params`` changed since,
    fits it first (and undoes that if the transform fails).

    Parameters
    ----------
    backbone : str or keras.Model or callable, default="efficientnet_lite0"
        A name from :func:`toonsklearn.list_backbones` (the default's ImageNet
        weights install with pip, so it needs no network), a ``keras.Model``
        (copied), or a callable ``f(input_shape) -> keras.Model``. It must give a
        feature map or a vector an image.
    weights : "imagenet" or None or str, default="imagenet"
        For a registry name: ImageNet weights, None for random weights (seeded by
        ``random_state``), or a local Keras weights file.
    input_size : tuple of (int, int) or None, default=None
        ``(height, width)`` the backbone sees; None: the backbone's own, else the
        images' (for file paths, their shared size when it fits in
        :data:`~toonsklearn.estimators.DEFAULT_PATH_SIZE`, else that).
    pooling : {"avg", "max"}, default="avg"
        How a feature map becomes one vector: global average or global max pooling.
        ``"avg"`` is what ``TransferClassifier`` uses (and shares its cache with).
    preprocessing : {"scale", "tf", "lite", "caffe", "torch", "none"} or None, default=None
        Override the backbone's preprocessing (``"none"`` for a model or callable).
    memory : str or path-like or joblib.Memory or None, default=None
        Cache the features of each image in this folder (see
        :mod:`toonsklearn.features`): a second ``transform`` of the same images, or a
        ``TransferClassifier`` with the same backbone and folder, reads them back.
    batch_size : int, default=32
        Images per step of the backbone.
    random_state : int or None, default=None
        Seed for building the backbone: random weights (``weights=None``) or a
        callable's initialisers.
    verbose : int, default=0
        0 is silent; 1 or more shows the backbone's progress over images new to
        the cache (a bar on a terminal, a line at the end in a log).

    Attributes
    ----------
    model_ : keras.Model
        Raw 0-255 pixels at ``image_shape_`` to pooled features.
    image_shape_ : tuple of int
        ``(height, width, channels)`` the network takes; images of another size are
        resized to it.
    n_features_in_ : int
        Number of features of a 2-D ``X`` seen in ``fit`` (each row read as a
        ``(n_features, 1)`` image); absent for images or paths.

    See Also
    --------
    toonsklearn.TransferClassifier : The same features and a trained head.
    toonsklearn.plotting.EmbeddingDisplay : The embeddings as a map of thumbnails.

    Examples
    --------
    >>> import keras
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.embedding import ImageEmbedder
    >>> X, y = make_toons(40, image_size=16, random_state=0)
    >>> inputs = keras.Input((16, 16, 3))  # a stand-in for a pretrained network
    >>> backbone = keras.Model(inputs, keras.layers.Conv2D(8, 3)(inputs))
    >>> ImageEmbedder(backbone).fit_transform(X).shape
    (40, 8)
    >>> pipe = make_pipeline(ImageEmbedder(backbone), LogisticRegression(max_iter=1000))
    >>> pipe.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "backbone": [str, keras.Model, callable],
        "weights": [str, None],
        "input_size": [tuple, None],
        "pooling": [StrOptions(set(POOLINGS))],
        "preprocessing": [StrOptions(set(PREPROCESSING_MODES)), None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, backbone="efficientnet_lite0", *, weights="imagenet", input_size=None,
                 pooling="avg", preprocessing=None, memory=None, batch_size=32,
                 random_state=None, verbose=0):
        self.backbone = backbone
        self.weights = weights
        self.input_size = input_size
        self.pooling = pooling
        self.preprocessing = preprocessing
        self.memory = memory
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose

    def _default_input_size(self):
        return backbone_input_size(self.backbone)

    def fit(self, X, y=None):
        """Build the backbone for the input size the images (or ``input_size``) call for.

        Learns nothing from the pixels: the same embedder fitted on other images of
        the same size embeds every image the same way.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images (uint8 0-255 or float), a 2-D feature matrix, or file paths.
        y : None
            Ignored; there for the Pipeline API.

        Returns
        -------
        self : ImageEmbedder
            The embedder, its network built.

        Raises
        ------
        ValueError
            ``backbone`` is not a registered name (the message lists them), or gives
            neither a feature map nor a vector.

        Examples
        --------
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.embedding import ImageEmbedder
        >>> X, _ = make_toons(4, image_size=32, random_state=0)
        >>> embedder = ImageEmbedder("mobilenet_v2", weights=None, random_state=0).fit(X)
        >>> embedder.image_shape_  # the backbone's own input size, not the images'
        (224, 224, 3)
        """
        self._validate_params()
        if isinstance(self.backbone, str):
            get_backbone_spec(self.backbone)  # an unknown name: the error lists the names
        with self._unchanged_on_error():
            self.__dict__.pop("n_features_in_", None)  # set again for a 2-D matrix only
            _check_not_empty(self._as_source(X, reset=True))
            seed = fit_seed(self.random_state)
            with contextlib.nullcontext() if seed is None else _deterministic(seed):
                inputs = keras.Input(self.image_shape_, name="pixels")
                self.model_ = keras.Model(inputs, feature_network(self, inputs, self.pooling),
                                          name=type(self).__name__)
            self._key = extractor_key(self.model_)
            self._n_features_out = int(self.model_.output_shape[-1])
            self._built_with = self._network_params()
        return self

    def transform(self, X) -> np.ndarray:
        """Embed each image: the backbone's pooled features, through the cache.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width[, channels]) or (n_samples,)
            Images at any size (resized to ``image_shape_``), a 2-D feature matrix as
            in ``fit``, or file paths, decoded a batch at a time so memory holds the
            features, not the images.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_features)
            The features as float32, one row an image.

        Raises
        ------
        toonsklearn.exceptions.ImageInputError
            ``X`` is not images, a matrix or paths, or a file does not decode (the
            message names it).

        Examples
        --------
        >>> import tempfile
        >>> import keras
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.embedding import ImageEmbedder
        >>> paths = make_toons(6, image_size=16, random_state=0,
        ...                    directory=tempfile.mkdtemp()).glob("**/*.png")
        >>> inputs = keras.Input((16, 16, 3))  # a stand-in for a pretrained network
        >>> backbone = keras.Model(inputs, keras.layers.Conv2D(8, 3)(inputs))
        >>> ImageEmbedder(backbone).transform([str(path) for path in paths]).shape
        (6, 8)
        """
        with self._unchanged_on_error():  # an implicit fit is undone if the transform fails
            if not self._built_for_params():
                self.fit(X)
            source = _check_not_empty(self._as_source(X, reset=False))
            return extract_features(self.model_, source, memory=self.memory,
                                    batch_size=self.batch_size,
                                    verbose=predict_verbose(self.verbose), key=self._key)

    @contextlib.contextmanager
    def _unchanged_on_error(self):
        """When the body raises, put every attribute back as it was."""
        before = dict(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _network_params(self) -> dict:
        """The parameters the network is built from (not the cache nor the batch size)."""
        return {name: getattr(self, name) for name in
                ("backbone", "weights", "input_size", "pooling", "preprocessing",
                 "random_state")}

    def _built_for_params(self) -> bool:
        """Whether ``model_`` exists and was built from the parameters as they are now:
        after ``set_params(backbone=...)`` a transform builds the new network, as a
        stateless transformer should, instead of embedding with the old one."""
        built = self.__dict__.get("_built_with")
        if "model_" not in self.__dict__ or built is None:
            return False
        return all(_same(built[name], value) for name, value in self._network_params().items())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _same(a, b) -> bool:
    """Whether two parameter values are the same: one object, or equal plain values."""
    if a is b:
        return True
    if type(a) is not type(b) or not isinstance(a, (str, int, float, tuple, type(None))):
        return False
    return a == b


def _check_not_empty(source):
    if len(source) == 0:
        raise ImageInputError("ImageEmbedder received no images (an array of 0 rows); pass "
                              "at least one image.")
    return source
