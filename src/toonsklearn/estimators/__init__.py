"""The Keras estimators: ``CNNClassifier``, ``TransferClassifier`` and ``MultiLabelCNN``.

One module each, over the base in :mod:`._base` (the scikit-learn side), the training
loop in :mod:`._training`, the image source and ``tf.data`` pipeline in :mod:`._data`,
and the named default callbacks in :mod:`._callbacks`.
"""

from .. import _tensorflow  # noqa: F401 (first: TensorFlow imports without its INFO lines)
from ._cnn import CNNClassifier
from ._multilabel import MultiLabelCNN
from ._transfer import TransferClassifier

__all__ = ["CNNClassifier", "MultiLabelCNN", "TransferClassifier"]
