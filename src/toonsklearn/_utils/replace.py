"""Write a file whole or not at all, and leave no scratch behind a killed process.

A file is written under a short temporary name beside it (so any legal name can be
written) and renamed onto it once complete. A scratch folder lives in the system's
temporary folder. While its process lives, each holds an exclusive lock
(``fcntl.flock``), which the kernel releases when the process ends however it ends; the
next :func:`replacing` into the same folder, or the next :func:`scratch_folder`, removes
the ones of ours that nobody holds any more (where there are no such locks, the ones
over a day old).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
import time

from ..exceptions import MissingFileError, NotSavableError, NotWritableError

try:
    import fcntl
except ImportError:  # Windows: leftovers are recognised by their age alone
    fcntl = None

__all__ = ["PARTIAL_PREFIX", "SCRATCH_PREFIX", "check_file_to_write", "replacing",
           "scratch_folder"]

#: How a file being written starts; the rest is 8 random characters and ``.partial``.
PARTIAL_PREFIX = ".~toonsklearn-"
#: How a scratch folder in the temporary folder starts; the rest is 8 random characters.
SCRATCH_PREFIX = "toonsklearn-scratch-"
_PARTIAL = re.compile(re.escape(PARTIAL_PREFIX) + r"[a-z0-9_]{8}\.partial\Z")
_SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + r"[a-z0-9_]{8}\Z")
_UNLOCKED_AGE_S = 24 * 3600
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def check_file_to_write(path, verb: str, example: str) -> str:
    """``path`` as a str, once it names a file that can be written in a folder that
    exists; else a ``NotSavableError`` (no name, a NUL byte, a folder) or a
    ``MissingFileError`` (no such folder) saying so with ``verb`` (``"save"``,
    ``"export"``) and a file name to suggest (``example``).

    Examples
    --------
    >>> from toonsklearn._utils.replace import check_file_to_write
    >>> check_file_to_write("/tmp/", "save", "model.toonsklearn")
    Traceback (most recent call last):
    ...
    toonsklearn.exceptions.NotSavableError: Cannot save to '/tmp/': it is a folder, or names a
    folder. Name a file, e.g. '/tmp/model.toonsklearn'.
    """
    path = os.fspath(path)
    if not path:
        raise NotSavableError(f"{verb} needs a file name; received an empty path.")
    if "\0" in path:
        raise NotSavableError(f"Cannot {verb} to {path!r}: a file name may not hold a NUL "
                              "byte. Remove it from the name.", path=path)
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise NotSavableError(f"Cannot {verb} to {path!r}: it is a folder, or names a "
                              f"folder. "
                              f"Name a file, e.g. {os.path.join(path, example)!r}.", path=path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise MissingFileError(f"Cannot {verb} to {path!r}: the folder {folder!r} does not "
                               "exist. Create it first.", path=folder)
    return path


@contextlib.contextmanager
def replacing(path: str):
    """Yield a temporary path beside ``path`` to write; on success it is renamed onto
    ``path`` with the mode ``open`` would give (not ``mkstemp``'s 0600), and on failure
    removed, so ``path`` keeps what it held.

    The temporary name is short and fixed in form, whatever the length of ``path``'s
    name; files of that form left by a killed process are removed first.

    Raises
    ------
    NotWritableError
        This process may not create or rename files in ``path``'s folder; ``path`` of
        the error is the folder.

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
    folder = os.path.dirname(os.path.abspath(path))
    sweep(folder)
    try:
        handle, partial = _held(folder, directory=False)
    except OSError as exc:
        raise _denied(exc, path, folder) from None
    try:
        yield partial
        umask = os.umask(0)
        os.umask(umask)
        try:
            os.chmod(partial, 0o666 & ~umask)
            os.replace(partial, path)
        except OSError as exc:
            raise _denied(exc, path, folder) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        os.close(handle)  # the lock goes only once the file is gone


@contextlib.contextmanager
def scratch_folder():
    """Yield a new private folder in the temporary folder, removed with all it holds on
    exit; scratch folders of killed processes are removed first.

    Examples
    --------
    >>> import os
    >>> from toonsklearn._utils.replace import scratch_folder
    >>> with scratch_folder() as folder:
    ...     os.path.isdir(folder)
    True
    >>> os.path.exists(folder)
    False
    """
    parent = tempfile.gettempdir()
    sweep(parent)
    handle, folder = _held(parent, directory=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(handle)


def sweep(folder: str) -> list[str]:
    """Remove the partial files and scratch folders in ``folder`` that no live process
    holds; return their paths. Anything that cannot be opened or locked, or is not a
    file (a folder) as ours are, is left alone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in names:
        is_file = bool(_PARTIAL.match(name))
        if not (is_file or _SCRATCH.match(name)):
            continue
        path = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            # never blocks on a FIFO, never follows a link that merely has our name
            handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
            try:
                mode = os.fstat(handle).st_mode
                kind = stat.S_ISREG(mode) if is_file else stat.S_ISDIR(mode)
                if kind and _abandoned(handle) and _same(handle, path):
                    if is_file:
                        os.remove(path)
                    else:
                        shutil.rmtree(path)
                    removed.append(path)
            finally:
                os.close(handle)
    return removed


def _held(folder: str, *, directory: bool) -> tuple[int, str]:
    """A new partial file or scratch folder in ``folder``, and an open handle on it that
    holds its lock: a sweep running at the same moment can only remove an unlocked one,
    so one that is gone or was swapped is made again."""
    for _ in range(100):
        if directory:
            path = tempfile.mkdtemp(dir=folder, prefix=SCRATCH_PREFIX)
            handle = os.open(path, os.O_RDONLY)
        else:
            handle, path = tempfile.mkstemp(dir=folder, prefix=PARTIAL_PREFIX,
                                            suffix=".partial")
        if _lock(handle) and _same(handle, path):
            return handle, path
        os.close(handle)
    raise FileExistsError(errno.EEXIST, "no temporary name could be held", folder)


def _lock(handle: int) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by a live process
        return False
    return True


def _abandoned(handle: int) -> bool:
    if fcntl is None:
        return time.time() - os.fstat(handle).st_mtime > _UNLOCKED_AGE_S
    return _lock(handle)


def _same(handle: int, path: str) -> bool:
    try:
        on_disk = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(handle)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _denied(exc: OSError, path: str, folder: str) -> OSError:
    """``exc`` as the library's error where it is a refusal to write in ``folder``."""
    if exc.errno not in _DENIED:
        return exc
    return NotWritableError(
        f"Cannot write {path!r}: this process may not create or replace files in the "
        f"folder {folder!r} ({exc.strerror}). Write into a folder you may write to, or "
        "change its permissions.", path=folder)
