"""Where a study lives: ``OptunaSearchCV(storage=...)`` as an Optuna storage. A path is a
journal file, a URL a database with heartbeats; every error names the storage without
its password and says what to install or check."""

from __future__ import annotations

import importlib
import json
import os
import time
import warnings

import optuna
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock
from sklearn.utils._param_validation import InvalidParameterError

from ..exceptions import (
    MissingFileError,
    NotRegularFileError,
    StorageAccessError,
    StorageError,
    ToonsklearnWarning,
    user_stacklevel,
)

__all__ = ["open_storage"]

#: SQLSTATEs of PostgreSQL processes creating the same tables or types at once.
_CREATION_RACE = {"23505", "42P07", "42710"}


def open_storage(storage, heartbeat_interval: int | None):
    """Optuna's storage for ``storage``: None (in memory) and storage objects as given."""
    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    storage = os.fspath(storage)
    if not storage.strip():
        raise InvalidParameterError(
            f"storage={storage!r} is empty: pass the path of an Optuna journal file, a "
            "database URL such as 'sqlite:///search.db', or None to keep the study in memory."
        )
    if "://" in storage:
        return _database(storage, heartbeat_interval)
    _check_journal(storage)
    backend = _Journal(storage)
    backend.repair()
    return optuna.storages.JournalStorage(backend)


def _database(url: str, heartbeat_interval: int | None):
    """An ``RDBStorage`` on ``url``."""
    import sqlalchemy

    scheme, rest = url.split("://", 1)
    netloc, slash, path = rest.partition("/")
    try:
        if netloc.count("@") > 1:
            raise ValueError("an '@' in the user name or password must be written %40")
        parsed = sqlalchemy.engine.make_url(url)
    except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
        reason = f" ({exc})" if netloc.count("@") > 1 else ""
        hidden = f"{scheme}://{_without_password(netloc)}{slash}{path}"
        raise InvalidParameterError(
            f"storage={hidden!r} is neither a file path nor a database URL such as "
            f"'sqlite:///search.db' or 'postgresql://user:password@host:5432/database'"
            f"{reason}."
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
        heartbeat_interval = None  # its heartbeat thread would open another, empty database
    elif parsed.drivername.startswith("sqlite"):
        _check_sqlite(parsed.database, shown)
    try:
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+" + _postgres_driver())
        if (parsed.drivername in ("postgresql+psycopg", "postgresql+psycopg2")
                and "connect_timeout" not in parsed.query):
            # libpq would wait for an unreachable host as long as TCP does (minutes)
            parsed = parsed.update_query_dict({"connect_timeout": "30"})
        with warnings.catch_warnings():  # Optuna calls its heartbeats experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return _retry_creation_race(lambda: optuna.storages.RDBStorage(
                parsed.render_as_string(hide_password=False),
                heartbeat_interval=heartbeat_interval))
    except ImportError as exc:
        raise ImportError(
            f"storage={shown!r} needs a database driver for {parsed.drivername!r} that "
            f"could not be imported ({exc}); for PostgreSQL, pip install "
            "'toonsklearn[postgres]'."
        ) from None
    except sqlalchemy.exc.NoSuchModuleError:
        raise InvalidParameterError(
            f"storage={shown!r}: SQLAlchemy knows no database {parsed.drivername!r}; "
            "use e.g. 'sqlite:///search.db' or 'postgresql://user@host/database'."
        ) from None
    except sqlalchemy.exc.OperationalError as exc:
        check = ("that its folder exists and is writable" if parsed.drivername.startswith(
            "sqlite") else "that the server runs and accepts this user, and that the "
            "database exists")
        raise StorageAccessError(
            f"Could not open the study database {shown!r}: {_reason(exc)}. Check {check}."
        ) from None
    except sqlalchemy.exc.SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code == "42501":  # insufficient privilege
            raise StorageAccessError(
                f"Could not set up the study database {shown!r}: {_reason(exc)}. Optuna "
                "needs a user that may create tables in it."
            ) from None
        raise StorageError(
            f"Could not set up the study database {shown!r}: {_reason(exc)}. Check that "
            "it is a database Optuna created, or pass a new one."
        ) from None


def _without_password(netloc: str) -> str:
    """``user:***@host`` for a URL SQLAlchemy could not parse; without an ``@``, what
    follows a colon may be a password whose ``@host`` was forgotten, so it is hidden
    unless it is a port number."""
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        return f"{user}{colon and ':***'}@{host}"
    host, colon, port = netloc.partition(":")
    return netloc if not colon or port.isdigit() else f"{host}:***"


def _reason(exc) -> str:
    """The driver's first line, which names no password (SQLAlchemy's own text may
    quote the statement, not the URL)."""
    text = str(exc.orig if getattr(exc, "orig", None) is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _postgres_driver() -> str:
    """The PostgreSQL driver for a URL that names none. SQLAlchemy's default is psycopg2
    before 2.1 and psycopg (3) since; the ``postgres`` extra installs psycopg2, with which
    every supported Optuna finds a study's best trial (Optuna 4.3 fails to with psycopg)."""
    failures = []
    for module in ("psycopg2", "psycopg"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            failures.append(f"{module}: {exc}")
        else:
            return module
    raise ImportError("; ".join(failures))


def _retry_creation_race(create, attempts: int = 5):
    """``create()``, again while it fails because another process creates the same tables
    at the same moment (PostgreSQL reports a duplicate; each try is one transaction,
    rolled back, so trying again is safe)."""
    import sqlalchemy

    for attempt in range(attempts):
        try:
            return create()
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as exc:
            orig = getattr(exc, "orig", None)
            code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
            if code not in _CREATION_RACE or attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _check_journal(path: str) -> None:
    """Refuse a path that is not a journal file before Optuna opens it and appends to it
    (a FIFO would hang it; a CSV given by mistake would be written into)."""
    if not os.path.lexists(path):
        _check_folder(path, f"storage={path!r}")
        return
    if not os.path.isfile(path):
        raise NotRegularFileError(
            f"storage={path!r} is not a regular file (a folder, FIFO, device or broken "
            "link); pass the path of an Optuna journal file, new or existing.", path=path
        )
    with open(path, "rb") as journal:
        first = journal.readline(1 << 16)
        if not first.endswith(b"\n") and first.startswith(b'{"op_code":'):
            return  # one entry cut short by a crash: _Journal.repair removes it
    try:
        entry = json.loads(first) if first.strip() else {"op_code": None}
    except ValueError:
        entry = None
    if not isinstance(entry, dict) or "op_code" not in entry:
        raise StorageError(
            f"storage={path!r} holds something other than an Optuna journal (its first line "
            "is not a journal entry), and Optuna would append to it. Pass a new file name "
            "or an existing journal file.", path=path
        )


def _check_folder(path: str, what: str) -> None:
    """Refuse a new storage file whose folder does not exist (Optuna would fail to create
    it with a bare ``FileNotFoundError``)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise MissingFileError(
            f"{what}: the folder {folder!r} does not exist; create it first, or pass a "
            "path in an existing folder.", path=folder
        )


def _check_sqlite(path: str, shown: str) -> None:
    """Refuse an SQLite URL whose file is not an SQLite database (SQLite would say only
    'file is not a database'), or whose folder does not exist."""
    if not os.path.lexists(path):
        _check_folder(path, f"storage={shown!r}")
        return
    if not os.path.isfile(path):
        raise NotRegularFileError(
            f"storage={shown!r} names {path!r}, which is not a regular file (a folder, FIFO, "
            "device or broken link); pass the path of an SQLite database, new or existing.",
            path=path,
        )
    with open(path, "rb") as file:
        header = file.read(16)
    if header and header != b"SQLite format 3\x00":
        raise StorageError(
            f"storage={shown!r} names {path!r}, which is not an SQLite database; pass a new "
            "file name, or the database of an earlier search.", path=path
        )


class _Journal(JournalFileBackend):
    """Optuna's journal file, kept readable after a crash.

    A process killed while appending leaves a last line without its end. Optuna skips
    such a line when it reads, but appends its next entry onto it, and the joined line
    then makes every later read fail (optuna/optuna#5138). Under the journal's lock,
    where no other process is half-way through an entry, this backend cuts such a tail
    off before it appends; an error reading the journal names its file.
    """

    def __init__(self, path: str):
        self._path = path
        self._journal_lock = JournalFileSymlinkLock(path)
        super().__init__(path, lock_obj=self._journal_lock)

    def read_logs(self, log_number_from: int):
        try:
            yield from super().read_logs(log_number_from)
        except ValueError as exc:  # json.JSONDecodeError or Optuna's "Invalid log format."
            raise StorageError(
                f"The Optuna journal {self._path!r} is corrupt ({exc}): a line in it is not "
                "a whole journal entry, so Optuna cannot read the study. Restore the file "
                "from a copy, or delete the broken line and those after it.",
                path=self._path,
            ) from exc

    def repair(self) -> None:
        """Cut off a last entry a crash left half-written, under the journal's lock."""
        self._journal_lock.acquire()
        try:
            self._cut_partial_tail()
        finally:
            self._journal_lock.release()

    def append_logs(self, logs: list[dict]) -> None:
        text = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        self._journal_lock.acquire()
        try:
            self._cut_partial_tail()
            with open(self._path, "ab") as journal:
                journal.write(text.encode("utf-8"))
                journal.flush()
                os.fsync(journal.fileno())
        finally:
            self._journal_lock.release()

    def _cut_partial_tail(self) -> None:
        with open(self._path, "rb+") as journal:
            size = journal.seek(0, os.SEEK_END)
            if size == 0:
                return
            journal.seek(size - 1)
            if journal.read(1) == b"\n":
                return
            end = size  # find the end of the last whole line
            while end > 0:
                start = max(0, end - (1 << 16))
                journal.seek(start)
                cut = journal.read(end - start).rfind(b"\n")
                if cut >= 0:
                    end = start + cut + 1
                    break
                end = start
            journal.truncate(end)
            journal.flush()
            os.fsync(journal.fileno())
        warnings.warn(
            f"The Optuna journal {self._path!r} ended with an entry cut short ({size - end} "
            "bytes, from a process killed while writing it); it was removed so that the "
            "journal stays readable.", ToonsklearnWarning, stacklevel=user_stacklevel())
