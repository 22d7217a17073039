"""See what a model does: learning curves, confusion matrices, the most confidently
wrong images, where the model looked (Grad-CAM), a map of the images' embeddings,
near-copies and likely label errors found by :mod:`toonsklearn.inspection`, how far
its probabilities are from the truth (reliability diagrams), what augmentation does,
the tuning tools' curves, and who is on screen when in a video
(:func:`toonsklearn.video.predict_video`'s timeline).

Each Display follows scikit-learn's pattern (:class:`sklearn.metrics.ConfusionMatrixDisplay`):
``from_estimator`` (and ``from_predictions`` where it makes sense) compute and draw;
``plot(ax=None)`` draws into Axes of your own figure and sets ``figure_`` and ``ax_``
(``axes_`` for grids). matplotlib is an optional dependency, imported when a Display
draws: ``pip install "toonsklearn[plot]"``. Importing this module imports neither
matplotlib nor TensorFlow.
"""

from ._augmentation import AugmentationDisplay
from ._confusion import ConfusionDisplay
from ._duplicates import DuplicatesDisplay
from ._embedding import EmbeddingDisplay
from ._gradcam import GradCAMDisplay, grad_cam
from ._history import HistoryDisplay
from ._label_issues import LabelIssuesDisplay
from ._lr_finder import LRFinderDisplay
from ._misclassified import MisclassifiedDisplay
from ._reliability import ReliabilityDisplay
from ._thresholds import ThresholdDisplay
from ._timeline import TimelineDisplay

__all__ = [
    "AugmentationDisplay",
    "ConfusionDisplay",
    "DuplicatesDisplay",
    "EmbeddingDisplay",
    "GradCAMDisplay",
    "HistoryDisplay",
    "LabelIssuesDisplay",
    "LRFinderDisplay",
    "MisclassifiedDisplay",
    "ReliabilityDisplay",
    "ThresholdDisplay",
    "TimelineDisplay",
    "grad_cam",
]
