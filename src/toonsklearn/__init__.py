"""toonsklearn: scikit-learn estimators for classifying cartoon images with Keras 3.

Importing the package is fast and does not import TensorFlow; the Keras
estimators load it when first used.
"""

from .loaders import ImageFolderLoader, load_image_folder, load_labels_csv
from .transformers import ImageTransformer

__version__ = "0.1.0.dev0"

# The Keras estimators import TensorFlow: load them on first use (PEP 562).
_LAZY = {
    "CNNClassifier": "estimators",
    "TransferClassifier": "estimators",
    "MultiLabelCNN": "estimators",
    "ImageEmbedder": "embedding",
    "list_backbones": "backbones",
}

__all__ = [
    "CNNClassifier",
    "ImageEmbedder",
    "ImageFolderLoader",
    "ImageTransformer",
    "MultiLabelCNN",
    "TransferClassifier",
    "__version__",
    "list_backbones",
    "load_image_folder",
    "load_labels_csv",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
