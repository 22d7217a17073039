"""``OptunaSearchCV``: scikit-learn's search machinery, with Optuna choosing the candidates
and pruning the unpromising ones epoch by epoch."""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from numbers import Integral, Real

import joblib
import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
)
from optuna.trial import TrialState
from sklearn.base import _fit_context, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError

from ..estimators._base import ImageClassifierBase, final_step
from ..estimators._callbacks import added_callbacks
from ..exceptions import (
    StorageError,
    ToonsklearnWarning,
    TrainingDataError,
    TrialFailedWarning,
    user_stacklevel,
)
from ._pruning import FoldMedianPruner, TrialReporter
from ._sampler import TrialSeededTPE, startup_trials
from ._space import default_search_space
from ._storage import open_storage
from ._trials import (
    FINISHED,
    FOLDS,
    best_scored_trial,
    plain_fold,
    print_trial,
    scored,
    suggest,
)

__all__ = ["OptunaSearchCV"]

#: The user attribute holding what a study was started on.
_IDENTITY = "toonsklearn_search"


class OptunaSearchCV(BaseSearchCV):
    """Search hyperparameters with Optuna, cross-validated the scikit-learn way.

    Each Optuna trial is one candidate, scored on the same cross-validation splits as
    every other (the splits are drawn once per ``fit``). While the folds of a trial
    train, each epoch's validation loss (negated: greater is better) goes to the trial,
    so Optuna's pruner stops an unpromising trial in the fold where it falls behind and
    skips its other folds; it ends as PRUNED in the study and in
    ``cv_results_["trial_state"]``, with NaN scores, ranked last. Fold ``k``'s epoch
    ``e`` is reported at step ``k * 10000 + e``, so a pruner compares a fold with the
    same fold of other trials (a pruner's ``n_warmup_steps`` therefore spares only
    the first fold's first epochs). With ``error_score="raise"`` a skipped fold would be a
    failed fit, so the folds after a pruned one instead stop after their first batch.

    Each ``fit`` starts its own study (so a search nested in ``cross_val_score`` gets one
    per outer fold) unless ``storage`` and ``study_name`` name one to resume.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn estimator, or a Pipeline; epochs are reported (and trials pruned)
        when it is one of the library's estimators or a Pipeline ending in one.
    param_distributions : dict of str to optuna.distributions.BaseDistribution or None, \
default=None
        The search space, with a Pipeline's step prefixes in the keys; None uses
        :func:`default_search_space` of ``estimator``.
    n_trials : int or None, default=10
        How many finished trials (complete, pruned or failed) the study should hold: a
        resumed study, or one other processes add to, runs only the rest (processes that
        finish trials at the same moment may each add one more). None runs until
        ``timeout``.
    timeout : float or None, default=None
        Stop starting new trials after this many seconds of this ``fit``.
    scoring : str, callable, list, tuple or dict, default=None
        As in :class:`~sklearn.model_selection.GridSearchCV`. With several metrics,
        ``refit`` names the one Optuna maximises.
    n_jobs : int or None, default=None
        Processes that fit the folds of a trial at once, as in ``GridSearchCV``, when
        nothing is pruned. Pruning needs each epoch in the process that holds the trial,
        so a search that prunes fits the folds one after another here and warns that
        ``n_jobs`` has no effect. To run trials in parallel, start several searches (in
        processes or on machines) on one ``storage`` and ``study_name``.
    refit : bool, str or callable, default=True
        As in ``GridSearchCV``: refit the best candidate on all the data.
    cv : int, cross-validation generator or iterable, default=None
        As in ``GridSearchCV`` (5-fold, stratified for classifiers).
    verbose : int, default=0
        1 writes one line per finished trial; 2 also scikit-learn's line per trial; 3
        and more one per fold.
    pre_dispatch : int or str, default="2*n_jobs"
        As in ``GridSearchCV``.
    error_score : "raise" or float, default=np.nan
        Score of a fold whose fit fails; "raise" raises the error.
    return_train_score : bool, default=False
        Also score each fold on its training part.
    sampler : optuna.samplers.BaseSampler or None, default=None
        None uses a ``TPESampler`` whose draws for trial ``n`` are seeded from
        ``random_state`` and ``n``, so processes sharing a study and a ``random_state``
        do not propose the same sequence of candidates (a sampler passed here is used as
        it is: give each process its own seed). Its first trials are random: a third
        of ``n_trials``, 2 to 10 (10 when ``n_trials`` is None), so TPE proposes the
        rest even in a short search.
    pruner : optuna.pruners.BasePruner or None, default=None
        None uses a median pruner that waits for as many trials as the sampler's random
        ones and spares the first 2 epochs of every fold (a first epoch's loss says
        little); ``optuna.pruners.NopPruner()`` prunes nothing.
    storage : str, path-like, optuna.storages.BaseStorage or None, default=None
        None keeps the study in memory; a file path uses Optuna's journal file (several
        processes on one machine); an RDB URL (``sqlite:///search.db``,
        ``postgresql://user:password@host/database``, whose driver the ``postgres`` extra
        installs) a database that processes on several machines share, with heartbeats.
        An Optuna storage object is used as it is (``heartbeat_interval`` aside), and
        ``clone`` copies it.
    study_name : str or None, default=None
        With a ``storage``, the study to create or resume: ``fit`` continues it after a
        crash. A study remembers the data, splits, metrics and search space it began
        with, and refuses others (a named study reused across outer folds of nested
        cross-validation would mix their trials). None creates a new study per ``fit``.
    heartbeat_interval : int or None, default=60
        With a database URL, seconds between the heartbeats of a running trial. A trial
        silent for twice as long (its process was killed, or its machine lost) is marked
        FAIL by the next process to start a trial of the study, instead of staying
        RUNNING for ever. None sends none. A journal file has no heartbeats: see
        :ref:`shared_studies` for what to do about a dead process there.
    random_state : int, RandomState instance or None, default=None
        Seeds the default sampler.

    Attributes
    ----------
    study_ : optuna.study.Study
        The study: Optuna's visualisations and optuna-dashboard read it.
    cv_results_ : dict of numpy (masked) ndarrays
        As in ``GridSearchCV``, one row per scored trial of the study (this fit's and,
        for a resumed or shared study, the others'), in trial order, with
        ``trial_number`` and ``trial_state`` columns. A trial that failed in every fold
        has no row (a ``FitFailedWarning`` says why); one that failed in some has NaN
        scores and the state FAIL.
    best_estimator_ : estimator
        The best candidate refitted on all the data (when ``refit``).
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameters of the best candidate.
    best_index_ : int
        Row of the best candidate in ``cv_results_``.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best candidate.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Every candidate of a grid.
    default_search_space : A search space for the library's estimators.

    Examples
    --------
    >>> from optuna.distributions import FloatDistribution
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.tuning import OptunaSearchCV
    >>> X, y = make_toons(30, image_size=8, random_state=0)
    >>> search = OptunaSearchCV(
    ...     CNNClassifier(filters=(4,), epochs=2, random_state=0),
    ...     {"learning_rate": FloatDistribution(1e-3, 1e-1, log=True)},
    ...     n_trials=2, cv=2, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"]), sorted(search.best_params_)
    (2, ['learning_rate'])
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, None],
        "n_trials": [Interval(Integral, 1, None, closed="left"), None],
        "timeout": [Interval(Real, 0, None, closed="neither"), None],
        "sampler": [optuna.samplers.BaseSampler, None],
        "pruner": [optuna.pruners.BasePruner, None],
        "storage": [str, os.PathLike, optuna.storages.BaseStorage, None],
        "heartbeat_interval": [Interval(Integral, 1, None, closed="left"), None],
        "study_name": [str, None],
        "random_state": ["random_state"],
    }
    def __init__(
        self,
        estimator,
        param_distributions=None,
        *,
        n_trials=10,
        timeout=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        sampler=None,
        pruner=None,
        storage=None,
        study_name=None,
        heartbeat_interval=60,
        random_state=None,
    ):
        super().__init__(
            estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv,
            verbose=verbose, pre_dispatch=pre_dispatch, error_score=error_score,
            return_train_score=return_train_score,
        )
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.sampler = sampler
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.heartbeat_interval = heartbeat_interval
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator is not validated yet
    def fit(self, X, y=None, **params):
        """Run the trials, then refit the best candidate on all of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Images, file paths, or whatever ``estimator`` takes.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets.
        **params : dict
            Passed to the estimator's ``fit`` (``groups`` to the splitter), as in
            ``GridSearchCV``.

        Returns
        -------
        self : OptunaSearchCV
            The fitted search.

        Examples
        --------
        >>> import os, tempfile
        >>> from optuna.distributions import IntDistribution
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.tuning import OptunaSearchCV
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> storage = os.path.join(tempfile.mkdtemp(), "study.log")  # a journal file
        >>> def search(n_trials):
        ...     return OptunaSearchCV(
        ...         CNNClassifier(filters=(4,), epochs=1, random_state=0),
        ...         {"batch_size": IntDistribution(4, 8)}, n_trials=n_trials, cv=2,
        ...         refit=False, storage=storage, study_name="toons", random_state=0,
        ...     ).fit(X, y)
        >>> len(search(1).study_.trials)
        1
        >>> len(search(2).study_.trials)  # resumed: runs only the second trial
        2
        """
        if self.n_trials is None and self.timeout is None:
            raise InvalidParameterError(
                "n_trials=None runs trials until timeout; set timeout= (seconds) or n_trials.")
        space = self._search_space()
        scorers, _ = self._get_scorers()
        if isinstance(self.scoring, (list, tuple, set, dict)) and not isinstance(
                self.refit, str):
            raise InvalidParameterError(
                f"With several metrics ({sorted(scorers._scorers)}), refit must name the one "
                "Optuna maximises, e.g. refit='accuracy'."
            )
        splitter = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(splitter.split(X, y, params.get("groups")))
        identity = {"data": joblib.hash((X, y)), "splits": joblib.hash(splits),
                    "scoring": _metric_names(self.scoring),
                    "search space": {name: optuna.distributions.distribution_to_json(d)
                                     for name, d in sorted(space.items())}}
        with _quiet_optuna():
            study = self._open_study(identity)
            prunes = (not isinstance(study.pruner, optuna.pruners.NopPruner)
                      and isinstance(final_step(self.estimator)[1], ImageClassifierBase))
            if prunes and self.n_jobs not in (None, 1):
                warnings.warn(
                    f"n_jobs={self.n_jobs} has no effect: a search that prunes fits the "
                    "folds of a trial one after another in this process, where each epoch "
                    "reaches the trial. Pass pruner=optuna.pruners.NopPruner() to fit folds "
                    "in parallel, or start several searches on one storage and study_name "
                    "to run trials in parallel.", ToonsklearnWarning, stacklevel=2)
            self._run = _Run(study, space, check_cv(splits), prunes, self.refit, self.verbose)
            try:
                with _swapped(self, cv=self._run.splits, n_jobs=1 if prunes else self.n_jobs,
                              verbose=max(self.verbose - 1, 0)):
                    super().fit(X, y, **params)
            finally:
                del self._run
        self.study_ = study
        return self

    # ------------------------------------------------------------------ the study
    def _search_space(self) -> dict:
        if self.param_distributions is None:
            return default_search_space(self.estimator)
        bad = {name: dist for name, dist in self.param_distributions.items()
               if not isinstance(dist, BaseDistribution)}
        if bad:
            raise InvalidParameterError(
                "param_distributions must map parameter names to Optuna distributions "
                "(optuna.distributions.FloatDistribution, IntDistribution, "
                f"CategoricalDistribution); received {bad!r}."
            )
        known = self.estimator.get_params(deep=True)
        unknown = sorted(set(self.param_distributions) - set(known))
        if unknown:
            raise InvalidParameterError(
                f"param_distributions names parameters {unknown} that "
                f"{type(self.estimator).__name__} does not have; it has {sorted(known)}."
            )
        return dict(self.param_distributions)

    def _open_study(self, identity: dict) -> optuna.study.Study:
        if self.study_name is not None and self.storage is None:
            raise InvalidParameterError(
                f"study_name={self.study_name!r} resumes a study only from a storage: pass "
                "storage='search.journal' (a file) or an RDB URL, or leave study_name=None."
            )
        if self.sampler is not None:
            sampler = self.sampler
        else:
            sampler = TrialSeededTPE(int(check_random_state(self.random_state).randint(2**31)),
                                     n_startup_trials=startup_trials(self.n_trials))
        pruner = self.pruner if self.pruner is not None else FoldMedianPruner(
            n_startup_trials=startup_trials(self.n_trials), n_warmup_epochs=2)
        study = optuna.create_study(
            storage=open_storage(self.storage, self.heartbeat_interval),
            study_name=self.study_name, sampler=sampler, pruner=pruner,
            direction="maximize", load_if_exists=True,
        )
        if study.direction != optuna.study.StudyDirection.MAXIMIZE:
            raise StorageError(
                f"Study {study.study_name!r} minimises; OptunaSearchCV maximises its score "
                "(greater is better). Create the study with direction='maximize' (optuna "
                "create-study --direction maximize), or use another study_name.",
                path=self._storage_path())
        begun = study.user_attrs.get(_IDENTITY)
        if begun is None:
            study.set_user_attr(_IDENTITY, identity)
            # Two processes starting a study at once both find it unclaimed; the stored
            # claim is the one that counts.
            begun = study.user_attrs.get(_IDENTITY)
        if begun != identity:
            changed = [key for key in identity if begun.get(key) != identity[key]]
            raise StorageError(
                f"Study {study.study_name!r} was started on other "
                f"{' and '.join(changed)}; a study resumes only the search it began. Use "
                "another study_name (in nested cross-validation, study_name=None gives each "
                "outer fold its own study).", path=self._storage_path()
            )
        return study

    def _storage_path(self) -> str | None:
        """The journal file of ``storage``, for the ``path`` of an error about the study."""
        if isinstance(self.storage, (str, os.PathLike)) and "://" not in os.fspath(
                self.storage):
            return os.fspath(self.storage)
        return None

    def _run_search(self, evaluate_candidates):
        run = self._run
        finished = len(run.study.get_trials(deepcopy=False, states=FINISHED))
        if self.n_trials is not None and finished >= self.n_trials:
            # Nothing left to run; BaseSearchCV needs one evaluation, so the best trial is
            # fitted again (its row keeps the study's scores).
            again = best_scored_trial(run.study)
            evaluate_candidates([dict(again.params)], cv=run.splits,
                                more_results={"trial_number": [again.number]})
            return
        skip_folds = self.error_score != "raise"  # a skipped fold is a failed fit

        def objective(trial):
            run.trial, run.started = trial, run.started + 1
            candidate = {name: suggest(trial, name, distribution)
                         for name, distribution in run.space.items()}
            run.reporter = TrialReporter(trial, skip_folds) if run.prunes else None
            try:
                with (added_callbacks(run.reporter) if run.prunes
                      else contextlib.nullcontext()), warnings.catch_warnings():
                    # Skipped folds are failed fits to scikit-learn: no warning for them.
                    warnings.filterwarnings("ignore", r"(?s).*FoldSkipped", FitFailedWarning)
                    results = evaluate_candidates(
                        [candidate], cv=run.splits,
                        more_results={"trial_number": [trial.number]})
            except ValueError as exc:  # scikit-learn's "All the k fits failed."
                if not str(exc).strip().startswith("All the"):
                    raise
                warnings.warn(f"Trial {trial.number} failed in every fold: {exc}",
                              TrialFailedWarning, stacklevel=2)
                raise _EveryFoldFailed(str(exc)) from None
            if trial.number not in run.lost_rows:
                try:
                    trial.set_user_attr(FOLDS, run.last_folds)
                except optuna.exceptions.UpdateFinishedTrialError:
                    run.lost_rows[trial.number] = None  # failed elsewhere a moment ago
            if trial.number in run.lost_rows:
                raise _TrialLost(trial.number)
            if run.states[trial.number] == TrialState.PRUNED:
                raise optuna.TrialPruned()
            row = list(results["trial_number"]).index(trial.number)
            return float(results[f"mean_test_{run.metric}"][row])  # NaN: Optuna's FAIL

        callbacks = [optuna.study.MaxTrialsCallback(self.n_trials, states=FINISHED)
                     ] if self.n_trials is not None else []  # with other processes' trials
        if run.verbose:  # the user's: BaseSearchCV.fit sees one less
            callbacks.append(print_trial)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            left = None if self.n_trials is None else self.n_trials - finished - run.started
            timeout = None if deadline is None else deadline - time.monotonic()
            if (left is not None and (left <= 0 or len(run.study.get_trials(
                    deepcopy=False, states=FINISHED)) >= self.n_trials)
                    or timeout is not None and timeout <= 0):
                break
            run.trial = None
            try:
                with warnings.catch_warnings():  # Optuna < 4.4: its stale-trial check is
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    run.study.optimize(objective, n_trials=left, timeout=timeout,
                                       callbacks=callbacks, catch=(_EveryFoldFailed,))
                break
            except Exception:
                # Optuna cannot tell a trial that another process already failed.
                if run.trial is None or run.trial.number not in run.lost_rows:
                    raise
            warnings.warn(
                f"Trial {run.trial.number} was marked FAIL by another process while this one "
                "ran it (its heartbeat had stopped, e.g. after a database error, so it looked "
                "dead); its scores are dropped and the search goes on with the next trial.",
                TrialFailedWarning, stacklevel=user_stacklevel())
        if not run.states:
            raise TrainingDataError(
                "Every trial failed in every fold (see the FitFailedWarning above for "
                "why); no candidate could be scored."
            )

    # ------------------------------------------------------------- cv_results_
    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        """``cv_results_`` over every scored trial of the study: this fit's (from
        ``out``) and the others (from their stored folds); pruned trials' scores are NaN,
        so they rank last."""
        run = self._run
        numbers = list(more_results["trial_number"])
        run.last_folds = [plain_fold(fold, self.return_train_score)
                          for fold in out[-n_splits:]]
        rows = {trial.number: (dict(trial.params), trial.user_attrs[FOLDS], trial.state)
                for trial in run.study.get_trials(deepcopy=False, states=FINISHED)
                if FOLDS in trial.user_attrs}
        for i, number in enumerate(numbers):
            if number in rows and number not in run.states:
                continue  # a trial of an earlier fit, fitted again: keep what it scored
            folds = out[i * n_splits:(i + 1) * n_splits]
            if number not in run.states:  # the trial just evaluated
                run.states[number] = run.state_of(folds)
                if run.lost():
                    run.states[number] = TrialState.FAIL
                    run.lost_rows[number] = (candidate_params[i], folds, TrialState.FAIL)
            rows[number] = (candidate_params[i], folds, run.states[number])
        # Trials another process failed while this one ran them: FAIL, with NaN scores.
        rows.update({n: row for n, row in run.lost_rows.items() if row is not None})
        order = sorted(rows)
        folds = [scored(plain_fold(fold, self.return_train_score),
                         rows[n][2] == TrialState.PRUNED or n in run.lost_rows)
                 for n in order for fold in rows[n][1]]
        with warnings.catch_warnings():
            if any(rows[n][2] == TrialState.PRUNED for n in order):
                warnings.filterwarnings("ignore", "One or more of the test scores")
            results = super()._format_results(
                [rows[n][0] for n in order], n_splits, folds, {"trial_number": order})
        results["trial_state"] = np.array([rows[n][2].name for n in order])
        return results


class _EveryFoldFailed(Exception):
    """A trial none of whose folds could be fitted: Optuna marks it FAIL."""


class _TrialLost(Exception):
    """A trial another process marked FAIL while this one ran it."""


class _Run:
    """What one ``fit`` shares between the study's objective and ``_format_results``."""

    def __init__(self, study, space, splits, prunes, refit, verbose):
        self.study, self.space, self.splits = study, space, splits
        self.prunes, self.refit, self.verbose = prunes, refit, verbose
        self.metric = "score"  # or, with several metrics, the one refit names
        self.reporter: TrialReporter | None = None
        self.states: dict[int, TrialState] = {}
        self.last_folds: list = []
        self.trial = None  # the trial this process runs now
        self.started = 0  # trials this fit started
        #: Trials another process failed while this one ran them (their params, folds
        #: and state; None when found only as their folds were being stored).
        self.lost_rows: dict[int, tuple | None] = {}

    def lost(self) -> bool:
        """Whether another process ended the trial this one runs (a live trial whose
        heartbeat stopped looks dead to the others, and they mark it FAIL)."""
        if self.reporter is not None and self.reporter.lost:
            return True
        if self.trial is None:
            return False
        return self.study._storage.get_trial(self.trial._trial_id).state.is_finished()

    def state_of(self, folds: list) -> TrialState:
        """How the trial whose folds just finished ends in the study."""
        if self.reporter is not None and self.reporter.pruned:
            return TrialState.PRUNED
        scores = [fold["test_scores"] for fold in folds]
        if isinstance(scores[0], dict):  # several metrics, maybe from a callable scoring
            if not isinstance(self.refit, str) or self.refit not in scores[0]:
                raise InvalidParameterError(
                    f"scoring gives several metrics ({sorted(scores[0])}); refit must name "
                    f"the one Optuna maximises; received refit={self.refit!r}."
                )
            self.metric = self.refit
            scores = [s[self.refit] for s in scores]
        return TrialState.COMPLETE if np.isfinite(scores).all() else TrialState.FAIL


def _metric_names(scoring):
    """What a study remembers of ``scoring``: the metric names, the same in any process."""
    if scoring is None or isinstance(scoring, str):
        return scoring
    if isinstance(scoring, (dict, list, tuple, set)):
        return sorted(scoring)  # a dict's keys
    return getattr(scoring, "__qualname__", type(scoring).__qualname__)


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna logs every trial at INFO; the search's own ``verbose`` line replaces it."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(before, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


@contextlib.contextmanager
def _swapped(search, **values):
    """Give ``BaseSearchCV.fit`` other values of some parameters for one call."""
    before = {name: getattr(search, name) for name in values}
    vars(search).update(values)
    try:
        yield
    finally:
        vars(search).update(before)
