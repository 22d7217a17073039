"""Save a fitted estimator or Pipeline in one file that loads without running code from it.

``joblib.load`` unpickles, and unpickling runs whatever the file says: it must only ever
see files you trust. :func:`~toonsklearn.io.save` writes a zip archive instead, stored
uncompressed:

- ``manifest.json``: the format version, the library versions that wrote it, where each
  Keras model belongs, and the size and SHA-256 of every other member;
- ``estimator.skops``: the object with each Keras model, ``history_`` and other pandas or
  Keras values taken out, in skops' format, which builds only types on an allow-list
  (:data:`~toonsklearn.io.TRUSTED_TYPES`, skops' own, and the ones the caller names);
- ``keras/<n>.keras``: each Keras model in Keras' own format, loaded with
  ``safe_mode=True``, which refuses Python lambdas, once its weights file is found to
  store every weight its configuration declares (``save`` refuses a model that
  ``load`` could not rebuild);
- ``model_card.md``, when ``save`` was given ``card=``: a model card in Markdown
  (:func:`toonsklearn.inspection.model_card` writes one).

The manifest also holds a summary of the object (estimator, Pipeline steps, classes,
input size): :func:`~toonsklearn.io.describe` returns it with the card, building nothing,
and :func:`~toonsklearn.io.store_card` stores a card in a file saved earlier.

A truncated, altered or foreign file raises :class:`~toonsklearn.exceptions.ModelFileError`
naming what is wrong; a type outside the allow-list raises
:class:`~toonsklearn.exceptions.UntrustedTypeError` naming it, before anything is built.
Loading needs Keras 3.14 or later: older releases' ``safe_mode`` can be bypassed by a
crafted model (CVE-2025-1550, CVE-2025-9906, CVE-2026-1462).
"""

from . import _persist
from ._describe import describe, store_card
from ._persist import load, save, untrusted_types

__all__ = ["FORMAT_VERSION", "TRUSTED_TYPES", "describe", "load", "save", "store_card",
           "untrusted_types"]

#: The version of the file layout :func:`~toonsklearn.io.save` writes into each file's
#: manifest; :func:`~toonsklearn.io.load` reads this one and older ones.
FORMAT_VERSION = _persist.FORMAT_VERSION
#: The oldest Keras whose ``safe_mode`` has no known bypass.
SAFE_KERAS = _persist.SAFE_KERAS
#: Type names :func:`~toonsklearn.io.load` builds without ``trusted=``, beyond skops' own
#: allow-list: toonsklearn's estimators and transformers, and what a fitted one holds.
TRUSTED_TYPES = _persist.TRUSTED_TYPES
