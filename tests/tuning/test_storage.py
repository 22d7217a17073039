"""Where a study lives (toonsklearn/tuning/_storage.py): a journal file or a database, named
without its password when it cannot be opened; a named study resumes, also after the
search was killed. Then several ``toonsklearn tune`` processes on one study: a real
PostgreSQL server started here on 127.0.0.1 (Debian's ``postgresql`` package; .ci/run
installs it), and the journal file, with workers killed by SIGKILL as a lost machine
would be."""

import glob
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import keras
import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState
from sklearn.base import clone

from tests.conftest import REPO_ROOT
from tests.keras_helpers import toons
from tests.tuning.conftest import search

STUDY = "toons"


# --- a study in a journal or a database, resumed -----------------------------------------


@pytest.mark.parametrize("storage", ["journal", "sqlite"])
def test_a_named_study_resumes_and_n_trials_counts_the_study(tmp_path, storage):
    url = (tmp_path / "s.journal" if storage == "journal"
           else f"sqlite:///{tmp_path / 's.db'}")
    X, y = toons(32, size=8)
    # Only the last search refits: the resumed study is what is checked here.
    first = search(n_trials=2, storage=url, study_name="toons", refit=False).fit(X, y)
    resumed = search(n_trials=3, storage=url, study_name="toons", refit=False).fit(X, y)
    assert list(resumed.cv_results_["trial_number"]) == [0, 1, 2]
    np.testing.assert_allclose(resumed.cv_results_["mean_test_score"][:2],
                               first.cv_results_["mean_test_score"], equal_nan=True)
    assert len(resumed.study_.trials) == 3
    done = search(n_trials=3, storage=url, study_name="toons").fit(X, y)
    assert len(done.study_.trials) == 3  # nothing left: the best is only fitted again
    assert done.best_params_ == resumed.best_params_ == done.study_.best_params
    np.testing.assert_array_equal(done.cv_results_["mean_test_score"],
                                  resumed.cv_results_["mean_test_score"])
    with pytest.raises(ValueError, match="started on other search space"):
        search(space={"dropout": FloatDistribution(0.0, 0.5)}, n_trials=4, storage=url,
               study_name="toons").fit(X, y)


CRASHING_SEARCH = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from tests.keras_helpers import toons
    from tests.tuning.conftest import search
    X, y = toons(32, size=8)
    search(n_trials=int(sys.argv[3]), storage=sys.argv[2], study_name="crash").fit(X, y)
""")


def test_a_search_killed_mid_way_continues_with_the_trials_done(tmp_path):
    journal = str(tmp_path / "crash.journal")
    child = subprocess.Popen([sys.executable, "-c", CRASHING_SEARCH, REPO_ROOT, journal,
                              "50"])
    storage = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
            if not os.path.exists(journal):
                continue
            storage = optuna.storages.JournalStorage(
                optuna.storages.journal.JournalFileBackend(journal))
            studies = optuna.get_all_study_summaries(storage)
            if studies and len([t for t in optuna.load_study(
                    study_name="crash", storage=storage).trials if t.state.is_finished()]) >= 2:
                break
    finally:
        child.kill()
        child.wait()
    assert child.returncode != 0, "the search ended before it was killed"
    before = optuna.load_study(study_name="crash", storage=storage).trials
    finished = [t.number for t in before if t.state.is_finished()]
    assert len(finished) >= 2
    X, y = toons(32, size=8)
    resumed = search(n_trials=len(finished) + 1, storage=journal, study_name="crash",
                     refit=False).fit(X, y)
    numbers = list(resumed.cv_results_["trial_number"])
    assert numbers[:len(finished)] == finished and len(numbers) == len(finished) + 1
    assert numbers[-1] > max(t.number for t in before)  # a new trial, not a re-run


def test_a_journal_cut_mid_entry_by_a_crash_resumes_and_stays_readable(tmp_path):
    from toonsklearn.exceptions import ToonsklearnWarning

    path = tmp_path / "crash.journal"
    X, y = toons(32, size=8)
    search(n_trials=2, storage=path, study_name="toons", refit=False).fit(X, y)
    whole = path.read_bytes()
    last = whole.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(whole[:last + (len(whole) - last) // 2])  # killed mid-write
    with pytest.warns(ToonsklearnWarning, match="crash.journal' ended with an entry cut short"):
        resumed = search(n_trials=3, storage=path, study_name="toons", refit=False).fit(X, y)
    # The cut entry ended trial 1, which a crashed process leaves RUNNING.
    finished = resumed.study_.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    assert len(finished) == 3
    again = optuna.load_study(study_name="toons", storage=journal(path))  # Optuna's own
    assert [t.state for t in again.trials] == [t.state for t in resumed.study_.trials]
    assert path.read_bytes().endswith(b"\n")


def test_a_journal_killed_while_a_real_process_writes_resumes_readable(tmp_path):
    path = tmp_path / "killed.journal"
    writer = textwrap.dedent("""
        import os, sys, optuna
        from optuna.storages.journal import JournalFileBackend

        class Slow(JournalFileBackend):  # writes each entry in two parts, pausing between
            def append_logs(self, logs):
                text = "".join(__import__("json").dumps(log) + "\\n" for log in logs)
                with open(self._file_path, "ab") as f:
                    f.write(text[:len(text) // 2].encode()); f.flush()
                    if os.path.exists(sys.argv[1] + ".go"):
                        print("half", flush=True); sys.stdin.read()
                    f.write(text[len(text) // 2:].encode()); f.flush()

        storage = optuna.storages.JournalStorage(Slow(sys.argv[1]))
        study = optuna.create_study(storage=storage, study_name="toons",
                                    direction="maximize")
        study.enqueue_trial({"x": 0.5})
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        open(sys.argv[1] + ".go", "w").close()
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    """)
    child = subprocess.Popen([sys.executable, "-c", writer, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "half"
    finally:
        child.kill()
        child.wait()
    assert not path.read_bytes().endswith(b"\n")  # the child died mid-entry
    from toonsklearn.tuning._storage import open_storage

    with pytest.warns(UserWarning, match="cut short"):
        storage = open_storage(path, None)
    study = optuna.load_study(study_name="toons", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    again = optuna.load_study(study_name="toons", storage=journal(path))
    assert len([t for t in again.trials if t.state == TrialState.COMPLETE]) == 3


def test_a_corrupt_journal_is_refused_by_name(tmp_path):
    from toonsklearn.exceptions import ToonsklearnError

    path = tmp_path / "broken.journal"
    study = optuna.create_study(storage=journal(path), study_name="toons",
                                direction="maximize")
    study.set_user_attr("a", 1)
    study.set_user_attr("b", 2)
    first, second, *rest = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(first + second[:-10] + b"".join([second, *rest]))  # a joined line
    before = path.read_bytes()
    X, y = toons(32, size=8)
    with pytest.raises(ToonsklearnError, match="broken.journal' is corrupt") as info:
        search(storage=path, study_name="toons").fit(X, y)
    assert isinstance(info.value, ValueError) and info.value.path == str(path)
    assert path.read_bytes() == before


def test_a_storage_in_a_missing_folder_or_not_a_database_is_named(tmp_path):
    from toonsklearn.exceptions import ToonsklearnError

    X, y = toons(32, size=8)
    for storage in (tmp_path / "no" / "s.journal", f"sqlite:///{tmp_path}/no/s.db"):
        with pytest.raises(FileNotFoundError, match="does not exist") as info:
            search(storage=storage, study_name="toons").fit(X, y)
        assert isinstance(info.value, ToonsklearnError)
        assert info.value.path == str(tmp_path / "no")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    with pytest.raises(ValueError, match="not an SQLite database") as info:
        search(storage=f"sqlite:///{notes}", study_name="toons").fit(X, y)
    assert isinstance(info.value, ToonsklearnError) and info.value.path == str(notes)
    assert notes.read_text() == "not a database\n"


def test_a_study_created_to_minimise_is_refused(tmp_path):
    storage = tmp_path / "study.journal"
    optuna.create_study(storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(storage))), study_name="toons")
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="minimises; OptunaSearchCV maximises"):
        search(storage=storage, study_name="toons").fit(X, y)


# --- storages refused, by what is wrong ---------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "fifo", "broken link", "csv"])
def test_a_storage_path_that_is_not_a_journal_is_refused_and_left_as_it_was(tmp_path, kind):
    path = tmp_path / "storage"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken link":
        path.symlink_to(tmp_path / "gone")
    else:
        path.write_text("filename,tom\na.png,1\n")
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="not a regular file|other than an Optuna journal"):
        search(storage=path, study_name="toons").fit(X, y)
    if kind == "csv":
        assert path.read_text() == "filename,tom\na.png,1\n"


@pytest.mark.parametrize("storage", ["", "  "])
def test_an_empty_storage_is_refused(storage):
    X, y = toons(32, size=8)
    unfitted = search(storage=storage, study_name="toons")
    with pytest.raises(ValueError, match="is empty: pass the path of an Optuna journal"):
        unfitted.fit(X, y)
    assert not hasattr(unfitted, "study_")


def test_storage_of_the_wrong_type_is_refused():
    X, y = toons(32, size=8)
    with pytest.raises(ValueError, match="storage"):
        search(storage=123).fit(X, y)


def test_a_database_url_opens_with_heartbeats_and_a_storage_object_is_used_as_given(tmp_path):
    X, y = toons(32, size=8)
    url = f"sqlite:///{tmp_path / 'search.db'}"
    fitted = search(n_trials=1, storage=url, study_name="toons", heartbeat_interval=5,
                    refit=False).fit(X, y)
    assert fitted.study_._storage.get_heartbeat_interval() == 5
    again = pickle.loads(pickle.dumps(fitted))  # its study reopens the database
    assert [t.number for t in again.study_.trials] == [0]
    own = optuna.storages.RDBStorage(url)  # no heartbeats: the user's choice
    joined = search(n_trials=2, storage=own, study_name="toons", refit=False)
    assert clone(joined).get_params()["storage"].url == url
    joined.fit(X, y)
    assert joined.study_._storage.get_heartbeat_interval() is None
    assert len(joined.study_.trials) == 2


def test_a_database_that_cannot_be_opened_is_named_without_its_password():
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    X, y = toons(32, size=8)
    unfitted = search(storage=f"postgresql://toons:s3cret@127.0.0.1:{port}/studies",
                      study_name="toons")
    with pytest.raises(ConnectionError, match=r"'postgresql://toons:\*\*\*@127\.0\.0\.1") as info:
        unfitted.fit(X, y)
    assert "s3cret" not in str(info.value) and "server runs" in str(info.value)
    assert not hasattr(unfitted, "study_")


@pytest.mark.parametrize("url, error, match", [
    ("nosuchdb://host/x", ValueError, "SQLAlchemy knows no database 'nosuchdb'"),
    ("mssql+pymssql://u:pw@127.0.0.1/x", ImportError,
     r"needs a database driver for 'mssql\+pymssql'"),
    ("postgresql://toons:s3cret", ValueError, r"'postgresql://toons:\*\*\*' is neither"),
    (" postgresql://toons:s3cret@host/x", ValueError, r"' postgresql://toons:\*\*\*@host/x'"),
    ("postgresql://toons:p@ss@host/x", ValueError, r"written %40"),
])
def test_a_bad_database_url_says_what_to_install_or_check(tmp_path, url, error, match):
    X, y = toons(32, size=8)
    with pytest.raises(error, match=match) as info:
        search(storage=url.format(tmp=tmp_path), study_name="toons").fit(X, y)
    assert not [secret for secret in ("s3cret", "pw@", "p@ss") if secret in str(info.value)]


class FailsTrialOneFromOutside(keras.callbacks.Callback):
    """As another worker does when a trial's heartbeat stopped: marks trial 1 FAIL through
    a connection of its own, while the search still runs it (after its first epoch)."""

    url, done = None, False

    def on_epoch_end(self, epoch, logs=None):
        if type(self).done:
            return
        storage = optuna.storages.RDBStorage(type(self).url)
        trials = optuna.load_study(study_name="toons", storage=storage).get_trials()
        if trials[-1].number == 1 and trials[-1].state == TrialState.RUNNING:
            storage.set_trial_state_values(trials[-1]._trial_id, TrialState.FAIL)
            type(self).done = True


@pytest.mark.parametrize("pruner", [None, optuna.pruners.NopPruner()])
def test_a_live_trial_failed_by_another_worker_warns_and_the_search_goes_on(tmp_path, pruner):
    from tests.tuning.conftest import tiny_cnn
    from toonsklearn.exceptions import ToonsklearnWarning

    FailsTrialOneFromOutside.url = f"sqlite:///{tmp_path / 'search.db'}"
    FailsTrialOneFromOutside.done = False
    X, y = toons(32, size=8)
    fitted = search(tiny_cnn(callbacks=[FailsTrialOneFromOutside()]), n_trials=3,
                    storage=FailsTrialOneFromOutside.url, study_name="toons",
                    heartbeat_interval=1, pruner=pruner)
    with pytest.warns(ToonsklearnWarning, match="Trial 1 was marked FAIL by another process"):
        fitted.fit(X, y)
    assert FailsTrialOneFromOutside.done
    states = [t.state for t in fitted.study_.trials]
    assert states[1] == TrialState.FAIL and len(states) == 3
    assert TrialState.RUNNING not in states
    assert list(fitted.cv_results_["trial_number"]) == [0, 1, 2]
    assert fitted.cv_results_["trial_state"][1] == "FAIL"
    assert np.isnan(fitted.cv_results_["mean_test_score"][1])
    assert fitted.best_index_ != 1 and hasattr(fitted, "best_estimator_")


def test_heartbeat_interval_must_be_a_positive_number_of_seconds():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = toons(32, size=8)
    with pytest.raises(InvalidParameterError, match="heartbeat_interval"):
        search(heartbeat_interval=0).fit(X, y)


# --- shared studies: the server ------------------------------------------------------------


def _postgres_program(name: str) -> str | None:
    """``initdb`` or ``pg_ctl``: on PATH, or where Debian puts them (newest version)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda path: int(path.split("/")[4]))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of its own on 127.0.0.1, for the test session: ``(host, port)``."""
    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        reason = ("PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get "
                  "install postgresql)")
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs them")
        pytest.skip(reason)
    folder = tempfile.mkdtemp(prefix="toonsklearn-postgres-")
    # initdb and pg_ctl refuse to run as root: as root, run them as the postgres user.
    as_owner = []
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(folder, "data"), _free_port()
    subprocess.run([*as_owner, initdb, "-D", data, "-U", "postgres", "-A", "trust",
                    "--no-sync"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_owner, pg_ctl, "-D", data, "-o", options, "-l",
                    os.path.join(folder, "server.log"), "-w", "-t", "60", "start"],
                   check=True, capture_output=True)
    try:
        yield "127.0.0.1", port
    finally:
        subprocess.run([*as_owner, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server, request):
    """The URL of a new, empty database on the server, one per test."""
    import psycopg2

    host, port = postgres_server
    name = "test_" + "".join(c if c.isalnum() else "_" for c in request.node.name).lower()[:50]
    connection = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres")
    connection.autocommit = True  # CREATE DATABASE runs outside a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return f"postgresql://postgres@{host}:{port}/{name}"


def optuna_url(url: str) -> str:
    """``url`` with its driver named, for Optuna itself (SQLAlchemy's default driver for
    ``postgresql://`` depends on its version; toonsklearn picks the installed one)."""
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


# --- shared studies: the workers -----------------------------------------------------------


@pytest.fixture
def start_worker(toon_tree):
    """Start ``toonsklearn tune`` in a process of its own, as on another machine; any
    still running when the test ends is killed."""
    started = []

    def start(storage, out, trials, heartbeat=2):
        command = [sys.executable, "-m", "toonsklearn", "tune", str(toon_tree), "--estimator",
                   "cnn", "--epochs", "1", "--input-size", "16", "16", "--cv", "2",
                   "--trials", str(trials), "--storage", str(storage), "--study-name", STUDY,
                   "--heartbeat", str(heartbeat), "--out", str(out)]
        started.append(subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True))
        return started[-1]

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.kill()
        worker.communicate()


def finish(worker, timeout=400) -> str:
    out, err = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, err[-3000:]
    return out


def trials_run_by(output: str) -> set[int]:
    """The trial numbers a worker's ``[OptunaSearchCV] trial N ...`` lines name."""
    return {int(line.split()[2]) for line in output.splitlines()
            if line.startswith("[OptunaSearchCV] trial ")}


def wait_for(condition, what, timeout=300):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def second_worker_then_kill_first(first, study, start_second):
    """Once the first worker (the study's only one so far) is in the middle of its second
    trial (its first fold reported an epoch, so the trial has sent a heartbeat and has a
    fold to go), start the second worker and SIGKILL the first: returns the second
    worker, the trials the first finished and the one it was killed in."""
    def second_trial_under_way():
        assert first.poll() is None, first.communicate()[1][-3000:]
        trials = study.get_trials(deepcopy=False)
        return (len(trials) >= 2 and trials[-1].state == TrialState.RUNNING
                and bool(trials[-1].intermediate_values))
    wait_for(second_trial_under_way, "the first worker's second trial")
    second = start_second()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    # The second worker is still starting (importing TensorFlow): the trials now are all
    # the first's.
    trials = study.get_trials(deepcopy=False)
    assert trials[-1].state == TrialState.RUNNING
    return second, {trial.number for trial in trials[:-1]}, trials[-1].number


def journal(path):
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def study_in(storage):
    return optuna.load_study(study_name=STUDY, storage=storage)


# --- shared studies: the tests -------------------------------------------------------------


@pytest.mark.slow
def test_processes_creating_the_tables_at_once_all_open_the_study(postgres_url):
    import threading

    from toonsklearn.tuning._storage import open_storage

    # Each opens its own connection at the same moment on an empty database, where
    # Optuna alone would fail with a duplicate table or type in all but one.
    barrier, errors = threading.Barrier(6), []

    def open_study():
        barrier.wait()
        try:
            optuna.create_study(storage=open_storage(postgres_url, 60), study_name=STUDY,
                                load_if_exists=True)
        except Exception as exc:  # noqa: BLE001 (the test reports whatever it was)
            errors.append(exc)

    threads = [threading.Thread(target=open_study) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert optuna.get_all_study_names(optuna_url(postgres_url)) == [STUDY]


@pytest.mark.slow
def test_two_workers_started_at_once_share_a_postgresql_study(start_worker, postgres_url,
                                                               tmp_path):
    # Four trials, a few seconds each: a worker would have to start three trials late to
    # find none left.
    workers = [start_worker(postgres_url, tmp_path / f"{i}.toonsklearn", 4) for i in range(2)]
    outputs = [finish(worker) for worker in workers]
    study = study_in(optuna_url(postgres_url))
    trials = study.get_trials(deepcopy=False)
    ran = [trials_run_by(output) for output in outputs]
    assert all(ran), outputs  # each worker ran trials of the shared study
    assert not ran[0] & ran[1]  # none twice
    assert ran[0] | ran[1] == {trial.number for trial in trials}  # none lost
    assert 4 <= len(trials) <= 5  # at most one more, from workers finishing at once
    assert all(trial.state in (TrialState.COMPLETE, TrialState.PRUNED) for trial in trials)
    # One random_state on both machines, yet no candidate proposed twice.
    candidates = [tuple(sorted(trial.params.items())) for trial in trials]
    assert len(set(candidates)) == len(candidates)
    assert all((tmp_path / f"{i}.toonsklearn").is_file() for i in range(2))


@pytest.mark.slow
def test_a_killed_workers_trial_fails_on_postgresql_and_the_study_goes_on(start_worker,
                                                                         postgres_url,
                                                                         tmp_path):
    # The study and its tables are made once, before any worker starts.
    optuna.create_study(storage=optuna_url(postgres_url), study_name=STUDY,
                        direction="maximize")
    study = study_in(optuna_url(postgres_url))
    # Heartbeats each second: the killed trial is stale 2 s after its last one, before the
    # second worker (still importing TensorFlow when the first is killed) starts a trial,
    # so it fails it at its first trial's start and runs just the one trial left.
    first = start_worker(postgres_url, tmp_path / "first.toonsklearn", 3, heartbeat=1)
    second, firsts, killed = second_worker_then_kill_first(
        first, study, lambda: start_worker(postgres_url, tmp_path / "second.toonsklearn", 3,
                                           heartbeat=1))
    output = finish(second)
    trials = study.get_trials(deepcopy=False)
    states = {trial.number: trial.state for trial in trials}
    # Its heartbeat stopped, so the second worker marked the killed trial failed.
    assert states[killed] == TrialState.FAIL
    assert TrialState.RUNNING not in states.values()
    assert len(trials) == 3  # the failed trial counts among the finished ones
    assert trials_run_by(output) == set(states) - firsts - {killed}
    assert (tmp_path / "second.toonsklearn").is_file()


@pytest.mark.slow
def test_a_killed_workers_trial_stays_running_in_a_journal_until_told(start_worker, tmp_path):
    storage = tmp_path / "search.journal"
    first = start_worker(storage, tmp_path / "first.toonsklearn", 2)
    wait_for(storage.exists, "the journal file")
    wait_for(lambda: STUDY in optuna.get_all_study_names(journal(storage)), "the study")
    study = study_in(journal(storage))
    second, firsts, killed = second_worker_then_kill_first(
        first, study, lambda: start_worker(storage, tmp_path / "second.toonsklearn", 2))
    output = finish(second)
    trials = study.get_trials(deepcopy=False)
    # A journal has no heartbeats: the killed trial is still RUNNING and does not count,
    # so the second worker ran a trial for two others to have finished (counted, it would
    # have run none).
    assert trials[killed].state == TrialState.RUNNING
    assert len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,
                                                         TrialState.PRUNED))) == 2
    assert trials_run_by(output) == {t.number for t in trials} - firsts - {killed}
    # What the docs tell a user to do once the worker is known to be dead.
    study.tell(killed, state=TrialState.FAIL)
    assert study_in(journal(storage)).trials[killed].state == TrialState.FAIL
