"""Write a file whole or not at all: into a temporary name beside it, renamed onto it."""

from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["replacing"]


@contextlib.contextmanager
def replacing(path: str):
    """Yield a temporary path beside ``path`` to write; on success it is renamed onto
    ``path`` with the mode ``open`` would give (not ``mkstemp``'s 0600), and on failure
    removed, so ``path`` keeps what it held.

    Examples
    --------
    >>> import os, tempfile
    >>> from toonsklearn._utils.replace import replacing
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with replacing(target) as partial:
    ...     _ = open(partial, "w").write("whole")
    >>> open(target).read()
    'whole'
    """
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                       prefix=f".{os.path.basename(path)}.", suffix=".partial")
    os.close(handle)
    try:
        yield partial
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
