"""Built-in cartoon data that needs no network: :func:`make_toons` draws characters
with Pillow, in memory or as a folder tree of image files."""

from . import _painters, _toons
from ._toons import make_toons

__all__ = ["CAST", "CHARACTERS", "MULTILABEL_NAMES", "VEHICLES", "make_toons"]

#: The characters :func:`~toonsklearn.datasets.make_toons` draws, each name mapped to its
#: drawing function, in the order ``n_classes`` takes them (binary uses the first two).
CHARACTERS = _painters.CHARACTERS
#: The vehicles of ``make_toons(task="vehicles")``, each name mapped to its drawing
#: function; that task labels them ``"vehicle"`` and the
#: :data:`~toonsklearn.datasets.CHARACTERS` ``"animal"``.
VEHICLES = _painters.VEHICLES
#: The named characters of ``make_toons(task="characters")``, in the order ``n_classes``
#: takes them: ``"<colour>_<species>_<accessory>"``, a species of
#: :data:`~toonsklearn.datasets.CHARACTERS` in a fixed body colour with a fixed accessory
#: (or ``"plain"``), so that characters of one species differ by colour and accessory.
CAST = _painters.CAST
#: The labels of ``make_toons(task="multilabel")``, in the column order of its indicator
#: matrix (and of the ``ground_truth.csv`` files it writes).
MULTILABEL_NAMES = _toons.MULTILABEL_NAMES
