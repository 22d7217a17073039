"""toonsklearn: scikit-learn estimators for classifying cartoon images with Keras 3.

Importing the package is fast: each name loads its room on first use, so the command
line answers ``--help`` or a mistyped folder without loading scikit-learn or
TensorFlow, and only the Keras estimators load TensorFlow.
"""

__version__ = "0.1.0.dev0"

# Every name loads its room on first use (PEP 562).
_LAZY = {
    "ImageFolderLoader": "loaders",
    "load_image_folder": "loaders",
    "load_labels_csv": "loaders",
    "ImageTransformer": "transformers",
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
