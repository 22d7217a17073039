"""Fill entries written once into the docstrings that share them.

A docstring names an entry as ``%(name)s``; :func:`fill_doc` replaces those markers and
touches nothing else, so a docstring may hold a literal ``%`` (``"50 %"``, ``%d`` in an
example). Under ``python -OO`` docstrings are None and stay None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["fill_doc"]

_MARKER = re.compile(r"%\((\w+)\)s")


def fill_doc(doc: str | None, entries: Mapping[str, str]) -> str | None:
    """``doc`` with each ``%(name)s`` replaced by ``entries[name]``.

    Examples
    --------
    >>> fill_doc("Takes %(x)s at 100 %.", {"x": "an int"})
    'Takes an int at 100 %.'
    >>> fill_doc(None, {"x": "an int"}) is None
    True
    """
    if doc is None:
        return None

    def entry(match: re.Match) -> str:
        name = match.group(1)
        if name not in entries:
            raise KeyError(f"The docstring names %({name})s, which has no entry; "
                           f"known: {sorted(entries)}.")
        return entries[name]

    return _MARKER.sub(entry, doc)
