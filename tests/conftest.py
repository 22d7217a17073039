import os
import pickle
import pwd
import select
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from toonsklearn.datasets import make_toons

#: The checkout's root, where ``tests`` is a package: a fresh Python that imports from
#: ``tests`` (or unpickles what a test defined there) needs it on ``sys.path``.
REPO_ROOT = str(Path(__file__).resolve().parents[1])


def write_image(path, array, **save_kwargs):
    """Write ``array`` (h, w, c) or (h, w) as an image file; return the path as str."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array)).save(path, **save_kwargs)
    return str(path)


def solid(height, width, colour=(200, 30, 30)):
    return np.broadcast_to(np.array(colour, dtype=np.uint8), (height, width, 3)).copy()


@pytest.fixture(scope="session")
def toon_tree(tmp_path_factory):
    """A small binary make_toons folder tree, written once per test session."""
    return make_toons(60, image_size=16, random_state=0, directory=tmp_path_factory.mktemp("toons"))


@pytest.fixture(scope="session")
def multilabel_tree(tmp_path_factory):
    return make_toons(
        40,
        task="multilabel",
        image_size=16,
        random_state=0,
        directory=tmp_path_factory.mktemp("toons_multilabel"),
    )


def run_forked(func, *, user=None, timeout=60):
    """Return ``func()`` run in a forked child, or raise what it raised.

    ``user`` drops the child to that account first, so permission tests can fail even
    when the suite runs as root (which reads any file whatever its mode). ``timeout``
    only guards against a hang: the child is killed and the test fails.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_fd)
            if user is not None:
                account = pwd.getpwnam(user)
                os.setgroups([])
                os.setgid(account.pw_gid)
                os.setuid(account.pw_uid)
            try:
                outcome = ("returned", func())
            except BaseException as exc:  # noqa: BLE001 (handed to the parent to re-raise)
                outcome = ("raised", exc)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(pickle.dumps(outcome))
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], timeout)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"{func.__name__} hung for {timeout} s")
        data = pipe.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "raised":
        raise value
    return value


def unprivileged_user():
    """The account ``run_forked`` drops to, or None when the suite is not root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.fail("the suite runs as root and there is no 'nobody' account to drop to")
    return "nobody"


@pytest.fixture
def shared_tmp():
    """A temporary folder an unprivileged user can enter (pytest's tmp_path is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="toonsklearn-"))
    folder.chmod(0o755)
    yield folder
    for current, dirs, _ in os.walk(folder):  # give back what tests took away, then remove
        for name in dirs:
            os.chmod(os.path.join(current, name), 0o755)
    shutil.rmtree(folder)
