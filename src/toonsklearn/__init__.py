"""toonsklearn: scikit-learn estimators for classifying cartoon images with Keras 3.

Importing the package is fast and does not import TensorFlow; the Keras
estimators load it when first used.
"""

from .loaders import ImageFolderLoader, load_image_folder, load_labels_csv
from .transformers import ImageTransformer

__version__ = "0.1.0.dev0"

__all__ = [
    "ImageFolderLoader",
    "ImageTransformer",
    "__version__",
    "load_image_folder",
    "load_labels_csv",
]
