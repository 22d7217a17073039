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

__all__ = ["open_storage"]

#: SQLSTATEs of PostgreSQL processes creating the same tables or types at once.
_CREATION_RACE = {"23505", "42P07", "42710"}


def open_storage(storage, heartbeat_interval: int | None):
    """Optuna's storage for ``storage``: None (in memory) and storage objects as given."""
    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    storage = os.fspath(storage)
    if not storage.strip():
        raise ValueError(
            f"storage={storage!r} is empty: pass the path of an Optuna journal file, a "
            "database URL such as 'sqlite:///search.db', or None to keep the study in memory."
        )
    if "://" in storage:
        return _database(storage, heartbeat_interval)
    _check_journal(storage)
    backend = optuna.storages.journal.JournalFileBackend(storage)
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
        raise ValueError(
            f"storage={hidden!r} is neither a file path nor a database URL such as "
            f"'sqlite:///search.db' or 'postgresql://user:password@host:5432/database'"
            f"{reason}."
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
        heartbeat_interval = None  # its heartbeat thread would open another, empty database
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
        raise ValueError(
            f"storage={shown!r}: SQLAlchemy knows no database {parsed.drivername!r}; "
            "use e.g. 'sqlite:///search.db' or 'postgresql://user@host/database'."
        ) from None
    except sqlalchemy.exc.OperationalError as exc:
        check = ("that its folder exists and is writable" if parsed.drivername.startswith(
            "sqlite") else "that the server runs and accepts this user, and that the "
            "database exists")
        raise ConnectionError(
            f"Could not open the study database {shown!r}: {_reason(exc)}. Check {check}."
        ) from None
    except sqlalchemy.exc.SQLAlchemyError as exc:  # e.g. no right to create the tables
        raise RuntimeError(
            f"Could not set up the study database {shown!r}: {_reason(exc)}. Optuna needs "
            "a user that may create tables in it."
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
        return
    if not os.path.isfile(path):
        raise ValueError(
            f"storage={path!r} is not a regular file (a folder, FIFO, device or broken "
            "link); pass the path of an Optuna journal file, new or existing."
        )
    with open(path, "rb") as journal:
        first = journal.readline(1 << 16)
    try:
        entry = json.loads(first) if first.strip() else {"op_code": None}
    except ValueError:
        entry = None
    if not isinstance(entry, dict) or "op_code" not in entry:
        raise ValueError(
            f"storage={path!r} holds something other than an Optuna journal (its first line "
            "is not a journal entry), and Optuna would append to it. Pass a new file name "
            "or an existing journal file."
        )
