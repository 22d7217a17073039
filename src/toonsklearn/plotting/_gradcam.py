"""Where the model looked: Grad-CAM (Selvaraju et al. 2017) over the last convolutional
layer of a scratch CNN or of a backbone."""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import ToonsklearnWarning, user_stacklevel
from ._base import axes_grid, model_images, show_image

_CONV_TYPES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")


def grad_cam(estimator, X, *, target="predicted", layer: str | None = None):
    """Grad-CAM heat maps: which pixels raised the score of ``target`` in each image.

    The gradient of the class's score (before the softmax or sigmoid) with respect to a
    convolutional layer's activations, averaged over each map, weighs those maps; their
    positive sum, scaled to [0, 1] per image and stretched to the input size, is the
    heat map.

    Parameters
    ----------
    estimator : fitted CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
        The model to look into (a Pipeline's earlier steps transform ``X`` first).
    X : array-like
        Images or file paths.
    target : "predicted" or a class label or array-like of labels, default="predicted"
        The class whose evidence is shown: each image's predicted class (for a
        multi-label model, its most probable label), one class for
        all, or one per image (the true labels, say).
    layer : str or None, default=None
        The layer whose activations are weighed; None takes a backbone's output (its
        last feature map) or, in a scratch CNN, the last convolution with the batch
        norm and activation after it.

    Returns
    -------
    heatmaps : ndarray of shape (n_samples, height, width)
        In [0, 1], at the model's input size.
    images : ndarray of shape (n_samples, height, width, channels)
        The images as the model took them.
    targets : ndarray of shape (n_samples,)
        The class (or label) of each map.
    layer : str
        The name of the layer used.

    See Also
    --------
    GradCAMDisplay : Draw the heat maps over the images.

    Examples
    --------
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.plotting import grad_cam
    >>> X, y = make_toons(16, image_size=16, random_state=0)
    >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    >>> heatmaps, images, targets, layer = grad_cam(clf, X[:3], target="tom")
    >>> heatmaps.shape, images.shape, targets.tolist(), layer
    ((3, 16, 16), (3, 16, 16, 3), ['tom', 'tom', 'tom'], 'block1_relu2')
    >>> bool(0 <= heatmaps.min() and heatmaps.max() <= 1)
    True
    """
    import keras
    import tensorflow as tf

    final, images = model_images(estimator, X)
    if np.ndim(target) > 1:
        raise ValueError("target must be 'predicted', one class, or one class per image; "
                         f"received an array of shape {np.shape(target)}.")
    if np.ndim(target) == 1 and len(target) != len(images):
        raise ValueError(
            f"target gives {len(target)} classes for {len(images)} images; give one per "
            "image, one class for all, or 'predicted'."
        )
    cam = _CamNetwork(final.model_, layer)
    if tuple(cam.layer.output.shape[1:3]) == (1, 1):
        warnings.warn(
            f"Layer {cam.layer.name!r} has 1x1 maps at input size {images.shape[1:3]}, so "
            "its heat maps are uniform and show nothing. Fit at a larger input_size, or "
            "pass layer= an earlier layer with spatial maps.",
            ToonsklearnWarning, stacklevel=user_stacklevel())
    heatmaps = np.zeros(images.shape[:3], dtype=np.float32)
    targets = np.empty(len(images), dtype=object)
    step = final._batch_images()
    for start in range(0, len(images), step):
        batch = tf.convert_to_tensor(images[start:start + step], tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(batch)  # so that a layer before any weight is followed too
            maps, logits = cam(batch)
            classes = _target_classes(final, keras.ops.convert_to_numpy(logits), target, start)
            columns, signs = _columns_and_signs(final, classes, logits.shape[1])
            scores = tf.gather(logits, columns, axis=1, batch_dims=1) * signs
        gradients = tape.gradient(scores, maps)
        weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
        cams = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))[..., None]
        cams = tf.image.resize(cams, images.shape[1:3], method="bilinear")[..., 0]
        peak = tf.reduce_max(cams, axis=(1, 2), keepdims=True)
        heatmaps[start:start + len(batch)] = tf.math.divide_no_nan(cams, peak).numpy()
        targets[start:start + len(batch)] = np.asarray(final.classes_, dtype=object)[classes]
    return heatmaps, images, targets, cam.layer.name


class _CamNetwork:
    """The estimator's network rewired to return (the layer's activations, the final
    layer's scores before its activation), for a network that is a chain of layers at
    the top, as every network toonsklearn builds is; the first call checks that the
    rewired network computes what the model does."""

    def __init__(self, model, layer_name: str | None):
        import keras

        self.model = model
        self.owner, self.layer = _find_layer(model, layer_name)
        self.steps = [lay for lay in model.layers if not isinstance(lay, keras.layers.InputLayer)]
        last = self.steps[-1]
        if isinstance(last, keras.Model):  # the head: stop before its last layer
            self.dense = last.layers[-1]
            self.head = keras.Model(last.inputs, self.dense.input)
        else:
            self.dense, self.head = last, None
        if not isinstance(self.dense, keras.layers.Dense):
            raise ValueError(
                "Grad-CAM needs a network that ends in a Dense layer (as the library's "
                f"networks do); this one ends in {type(self.dense).__name__}."
            )
        self.inner = (None if self.owner is model else
                      keras.Model(self.owner.inputs, [self.layer.output, self.owner.output]))
        self.checked = False

    def __call__(self, batch):
        import keras

        x, maps = batch, None
        for step in self.steps[:-1]:
            if step is self.owner:
                maps, x = self.inner(x, training=False)
            else:
                x = step(x, training=False)
                if step is self.layer:
                    maps = x
        if self.head is not None:
            x = self.head(x, training=False)
        logits = keras.ops.matmul(x, self.dense.kernel)
        if self.dense.bias is not None:
            logits = logits + self.dense.bias
        if not self.checked:
            ours = keras.ops.convert_to_numpy(self.dense.activation(logits))
            theirs = keras.ops.convert_to_numpy(self.model(batch, training=False))
            if maps is None or ours.shape != theirs.shape or not np.allclose(
                    ours, theirs, atol=1e-4):
                raise ValueError(
                    "Grad-CAM could not follow this network's wiring: it is not a chain "
                    "of layers at the top, as the networks toonsklearn builds are. Pass "
                    "layer= a layer of the backbone, or build the network with the "
                    "estimator's own backbone= and architecture parameters."
                )
            self.checked = True
        return maps, logits


def _find_layer(model, name: str | None):
    """(the model that holds the layer, the layer): ``name`` in the model or in a nested
    model; else a backbone's output, or the scratch network's last convolution and the
    layers after it that keep its map size (batch norm, activation)."""
    import keras

    owners = [model] + [lay for lay in model.layers
                        if isinstance(lay, keras.Model) and lay.name != "head"]
    if name is not None:
        for owner in owners:
            if any(lay.name == name for lay in owner.layers):
                layer = owner.get_layer(name)
                if isinstance(layer, keras.layers.InputLayer):
                    raise ValueError(
                        f"layer {name!r} is the network's input: its maps are the pixels "
                        "themselves. Pass a layer after it, or layer=None."
                    )
                if len(layer.output.shape) != 4:
                    raise ValueError(
                        f"layer {name!r} has output shape {layer.output.shape}; Grad-CAM "
                        "needs a layer with spatial maps (batch, height, width, channels)."
                    )
                return owner, layer
        spatial = [lay.name for owner in owners for lay in owner.layers
                   if len(getattr(lay.output, "shape", ())) == 4
                   and not isinstance(lay, keras.layers.InputLayer)]
        raise ValueError(
            f"No layer named {name!r} in the network; layers with spatial maps, last "
            f"ones: {spatial[-8:]}."
        )
    backbones = [owner for owner in owners[1:] if len(owner.output.shape) == 4]
    if backbones:  # a backbone's output is its last feature map
        return backbones[-1], backbones[-1].layers[-1]
    layers = model.layers
    convs = [i for i, lay in enumerate(layers) if type(lay).__name__ in _CONV_TYPES]
    if not convs:
        raise ValueError(
            "Grad-CAM found no convolutional layer in this network; pass layer= the name "
            "of a layer with spatial maps."
        )
    index = convs[-1]  # then on through its batch norm and activation (same map size)
    size = tuple(layers[index].output.shape[1:3])
    while index + 1 < len(layers) and len(layers[index + 1].output.shape) == 4 and tuple(
            layers[index + 1].output.shape[1:3]) == size and type(
            layers[index + 1]).__name__ not in ("Dropout", "SpatialDropout2D"):
        index += 1
    return model, layers[index]


def _target_classes(final, logits: np.ndarray, target, start: int) -> np.ndarray:
    """The index in ``classes_`` of each image's target class."""
    n = len(logits)
    if isinstance(target, str) and target == "predicted":
        if logits.shape[1] == 1 and len(final.classes_) == 2:  # one sigmoid, two classes
            return (logits[:, 0] >= 0).astype(int)
        return logits.argmax(axis=1)
    wanted = [target] * n if np.ndim(target) == 0 else list(
        np.asarray(target, dtype=object)[start:start + n])
    classes = np.asarray(final.classes_).tolist()
    try:
        return np.array([classes.index(label) for label in wanted], dtype=int)
    except ValueError:
        bad = next(label for label in wanted if label not in classes)
        raise ValueError(
            f"target {bad!r} is not one of the estimator's classes_ {classes}; pass "
            "'predicted', one of them, or one per image."
        ) from None


def _columns_and_signs(final, classes: np.ndarray, n_outputs: int):
    """The score of class ``k``: logit ``k``, or for one sigmoid over two classes,
    plus (class 1) or minus (class 0) its one logit."""
    import tensorflow as tf

    if n_outputs == 1 and len(final.classes_) == 2:
        columns, signs = np.zeros_like(classes), np.where(classes == 1, 1.0, -1.0)
    else:
        columns, signs = classes, np.ones(len(classes))
    return tf.constant(columns[:, None], tf.int32), tf.constant(signs[:, None], tf.float32)


class GradCAMDisplay:
    """Grad-CAM heat maps over images: where the model looked for the class it names.

    Use :meth:`~toonsklearn.plotting.GradCAMDisplay.from_estimator`;
    :class:`~toonsklearn.plotting.MisclassifiedDisplay` draws them over its wrong
    predictions with ``gradcam=True``.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, channels)
        The images as the model took them.
    heatmaps : ndarray of shape (n_images, height, width)
        In [0, 1].
    targets : array-like of shape (n_images,)
        The class each map shows evidence for.
    layer : str
        The layer the maps come from.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure drawn in.
    axes_ : ndarray of matplotlib Axes
        One per image.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.plotting import GradCAMDisplay
    >>> X, y = make_toons(16, image_size=16, random_state=0)
    >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    >>> display = GradCAMDisplay.from_estimator(clf, X[:4])
    >>> display.heatmaps.shape, display.layer
    ((4, 16, 16), 'block1_relu2')
    """

    def __init__(self, images, heatmaps, targets, *, layer: str):
        self.images = np.asarray(images)
        self.heatmaps = np.asarray(heatmaps)
        self.targets = np.asarray(targets, dtype=object)
        self.layer = layer
        if not len(self.images) == len(self.heatmaps) == len(self.targets):
            raise ValueError(
                f"{len(self.images)} images, {len(self.heatmaps)} heat maps and "
                f"{len(self.targets)} targets: give one of each per image."
            )

    @classmethod
    def from_estimator(cls, estimator, X, *, target="predicted", layer=None, ax=None,
                       ncols=None, alpha=0.45) -> GradCAMDisplay:
        """Heat maps of ``estimator`` over the images ``X``.

        Parameters
        ----------
        estimator : fitted CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
            The model to look into.
        X : array-like
            Images or file paths (a few: one panel each).
        target : "predicted" or a class label or array-like, default="predicted"
            As in :func:`~toonsklearn.plotting.grad_cam`.
        layer : str or None, default=None
            As in :func:`~toonsklearn.plotting.grad_cam`.
        ax : array of matplotlib Axes or None, default=None
            At least one Axes per image to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.
        alpha : float, default=0.45
            Opacity of the heat map.

        Returns
        -------
        display : GradCAMDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import GradCAMDisplay
        >>> X, y = make_toons(16, image_size=16, random_state=0)
        >>> clf = CNNClassifier(filters=(4, 8), epochs=1, random_state=0).fit(X, y)
        >>> display = GradCAMDisplay.from_estimator(clf, X[:2], target=y[:2], ncols=2,
        ...                                         layer="block1_conv2")
        >>> display.layer, display.targets.tolist() == y[:2].tolist(), display.axes_.shape
        ('block1_conv2', True, (2,))
        """
        heatmaps, images, targets, name = grad_cam(estimator, X, target=target, layer=layer)
        return cls(images, heatmaps, targets, layer=name).plot(ax=ax, ncols=ncols,
                                                                alpha=alpha)

    def plot(self, ax=None, *, ncols=None, alpha=0.45) -> GradCAMDisplay:
        """Draw each image with its heat map, titled with the class it shows.

        Parameters
        ----------
        ax : array of matplotlib Axes or None, default=None
            At least one Axes per image to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.
        alpha : float, default=0.45
            Opacity of the heat map.

        Returns
        -------
        display : GradCAMDisplay
            With ``figure_`` and ``axes_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import GradCAMDisplay
        >>> images = np.zeros((2, 8, 8, 3), dtype=np.uint8)
        >>> heatmaps = np.linspace(0, 1, 128).reshape(2, 8, 8)
        >>> display = GradCAMDisplay(images, heatmaps, ["tom", "jerry"], layer="conv").plot()
        >>> [ax.get_title() for ax in display.axes_]
        ['evidence for tom', 'evidence for jerry']
        """
        figure, axes = axes_grid(len(self.images), ax, ncols=ncols)
        if ax is None:
            figure.suptitle(f"Grad-CAM ({self.layer})", fontsize="medium")
        for panel, image, heatmap, label in zip(axes[:len(self.images)], self.images,
                                                self.heatmaps, self.targets, strict=True):
            show_image(panel, image, f"evidence for {label}", heatmap=heatmap, alpha=alpha)
        self.figure_, self.axes_ = figure, axes
        return self
