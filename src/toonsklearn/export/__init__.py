"""Export: a fitted model as a LiteRT or ONNX file that takes raw pixels.

:func:`~toonsklearn.export.export_model` writes a file that runs where Python's
TensorFlow does not (a phone, a board by the road, a web page, a server with ONNX
Runtime), with a JSON file beside it naming the classes, the input size and the
thresholds; :func:`~toonsklearn.export.load_exported` runs one in its own runtime. Needs
``pip install "toonsklearn[export]"``.
"""

from ._export import FORMATS, export_model, exportable_network, metadata_path
from ._runtime import ExportedModel, load_exported

__all__ = ["FORMATS", "ExportedModel", "export_model", "exportable_network", "load_exported",
           "metadata_path"]
