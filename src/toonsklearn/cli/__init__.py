"""Command line: ``toonsklearn demo | train | predict | frames | evaluate | info | export |
tune | embed | audit | backbones``.

Each command is a thin layer over the public API: folders and CSV files are read with
:func:`~toonsklearn.load_image_folder` and :func:`~toonsklearn.load_labels_csv`, models
are fitted on class *names* (so reports and plots show them) and saved with
:mod:`toonsklearn.io`. Bad input (a missing folder, a folder with no images, an unknown
backbone, a file that is not a saved model) exits with status 1 and one line on standard
error saying what was wrong and how to fix it; usage errors exit with status 2.
"""

from ._main import main

__all__ = ["main"]
