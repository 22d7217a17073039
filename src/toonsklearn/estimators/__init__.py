"""The Keras estimators: ``CNNClassifier``, ``TransferClassifier`` and ``MultiLabelCNN``,
and :class:`ImageClassifierBase`, the base to subclass for an estimator of your own.

One module each, over the base in ``_base.py`` (the scikit-learn side), the training
loop in ``_training.py``, the image source and ``tf.data`` pipeline in ``_data.py``,
the named default callbacks in ``_callbacks.py``, and the shared parameters' defaults
and documentation in ``_shared.py``.
"""

from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)

# isort: split
from . import _data
from ._base import ImageClassifierBase
from ._cnn import CNNClassifier
from ._multilabel import MultiLabelCNN
from ._shared import Scratch, Shared
from ._transfer import TransferClassifier

__all__ = ["DEFAULT_PATH_SIZE", "CNNClassifier", "ImageClassifierBase", "MultiLabelCNN",
           "Scratch", "Shared", "TransferClassifier"]

#: Model input size for file paths when neither ``input_size`` nor a backbone sets one,
#: unless the files share a size that fits in it: then theirs, as for an image array.
DEFAULT_PATH_SIZE = _data.DEFAULT_PATH_SIZE
