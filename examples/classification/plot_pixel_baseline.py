"""
=============================================
Classic models on pixels, against a backbone
=============================================

Before training a network, it pays to know what a classic scikit-learn model makes of
the raw pixels: if it already does well, a network has little to add. This example puts
several such models in one :class:`~sklearn.pipeline.Pipeline` pattern (decode the files,
scale and flatten the pixels, classify), cross-validates them, tunes one with
:class:`~sklearn.model_selection.GridSearchCV`, and scores a
:class:`~toonsklearn.TransferClassifier` with exactly the same code, on four cartoon
characters.
"""

# %%
# The data
# --------
# :func:`~toonsklearn.datasets.make_toons` writes four characters into ``train/``,
# ``validation/`` and ``test/`` folders. Cross-validation does the validation folder's
# job, so we join it to the training images; the test folder is kept for the end.
# :func:`~toonsklearn.load_image_folder` gives file paths and class indices; every model
# below starts from the paths.
import tempfile

import numpy as np

from toonsklearn import load_image_folder
from toonsklearn.datasets import make_toons

folder = tempfile.mkdtemp()
root = make_toons(600, task="multiclass", n_classes=4, image_size=48, random_state=0,
                  directory=f"{folder}/toons")
train, validation, test = (load_image_folder(root, subset=subset)
                           for subset in ("train", "validation", "test"))
paths = np.concatenate([train.paths, validation.paths])
target = np.concatenate([train.target, validation.target])
names = train.target_names
print(len(paths), "images to cross-validate on,", len(test.paths), "test images:", names)

# %%
# Classic models on pixels
# ------------------------
# :class:`~toonsklearn.ImageFolderLoader` decodes the paths into a uint8 array of 32×32
# images, :class:`~toonsklearn.ImageTransformer` standardises each colour channel (it
# learns the means and deviations in ``fit``, so only from each training fold) and
# flattens the images into rows of 3,072 pixel values, and a classic model classifies
# the rows. Only the last step changes from one model to the next.
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from toonsklearn import ImageFolderLoader, ImageTransformer


def on_pixels(model):
    return make_pipeline(ImageFolderLoader(size=(32, 32)),
                         ImageTransformer(normalize="standardize", flatten=True), model)


models = {
    "logistic regression": on_pixels(LogisticRegression(C=0.001, max_iter=300)),
    "5 nearest neighbours": on_pixels(KNeighborsClassifier(n_neighbors=5)),
    "random forest": on_pixels(RandomForestClassifier(n_estimators=200, random_state=0)),
    "SVC (RBF kernel)": on_pixels(SVC()),
}

# %%
# The same pipeline with a backbone
# ---------------------------------
# :class:`~toonsklearn.TransferClassifier` takes the loader's uint8 images as they are
# (it scales them inside its Keras model) and trains a head on the features of a frozen
# EfficientNet-Lite0, enlarged from the 48-pixel drawings to 96×96, a size nearer the one
# the backbone was trained at. The feature cache (`memory`) lets every fold, and the
# final fit, reuse the features of the images an earlier fit has already met.
from toonsklearn import TransferClassifier

models["transfer (frozen backbone)"] = make_pipeline(
    ImageFolderLoader(size=(48, 48)),
    TransferClassifier(input_size=(96, 96), epochs=30, memory=f"{folder}/features",
                       random_state=0, verbose=0),
)

# %%
# One scoring loop for all
# ------------------------
# :func:`~sklearn.model_selection.cross_validate` fits each pipeline on four fifths of the
# images and scores it on the rest, five times, with the same stratified folds for every
# model. The table gives the mean accuracy, its spread over the folds and the mean
# fitting time per fold; chance is one in four. The characters differ by shape, wherever
# they stand in the image, while their colours and backgrounds are random: see what that
# leaves the pixel models.
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_validate

cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
folds = {name: cross_validate(model, paths, target, cv=cv) for name, model in models.items()}
scores = pd.DataFrame({
    name: {"accuracy": result["test_score"].mean(), "std": result["test_score"].std(),
           "fit seconds": result["fit_time"].mean()}
    for name, result in folds.items()
}).T
print(scores.round(3))

# %%
# Tuning a pixel model
# --------------------
# A grid search tunes the pipeline as a whole: the size the loader decodes to and the
# SVC's regularisation `C`, under the same folds. ``cv_results_`` as a
# :class:`pandas.DataFrame` ranks the candidates.
from sklearn.model_selection import GridSearchCV

grid = GridSearchCV(models["SVC (RBF kernel)"],
                    {"imagefolderloader__size": [(16, 16), (32, 32)], "svc__C": [1.0, 10.0]},
                    cv=cv)
grid.fit(paths, target)
columns = ["param_imagefolderloader__size", "param_svc__C", "mean_test_score",
           "std_test_score", "rank_test_score"]
print(pd.DataFrame(grid.cv_results_)[columns].sort_values("rank_test_score")
      .to_string(index=False))

# %%
# The scores side by side
# -----------------------
# The bars are the cross-validated accuracies, each with its spread over the folds (the
# tuned SVC's is its best candidate's, chosen on these same folds, so a little
# optimistic). The dots are test accuracies: of the tuned SVC, which the grid search
# refitted on all the cross-validation images, and of the transfer pipeline, fitted on
# the same images. Compare the pixel models with each other and with chance, then with
# the backbone: a difference smaller than the spread of the folds says little, and the
# gap to the backbone's features is what the pixels lack.
import matplotlib.pyplot as plt

best = grid.best_index_
scores.loc["SVC, tuned"] = {"accuracy": grid.best_score_,
                            "std": grid.cv_results_["std_test_score"][best],
                            "fit seconds": grid.cv_results_["mean_fit_time"][best]}
scores = scores.loc[[name for name in scores.index if not name.startswith("transfer")]
                    + ["transfer (frozen backbone)"]]
transfer = models["transfer (frozen backbone)"].fit(paths, target)
test_scores = {"SVC, tuned": grid.score(test.paths, test.target),
               "transfer (frozen backbone)": transfer.score(test.paths, test.target)}
print("test accuracy:", {name: round(score, 3) for name, score in test_scores.items()})

figure, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
rows = np.arange(len(scores))
ax.barh(rows, scores["accuracy"], xerr=scores["std"], color="tab:blue", alpha=0.8,
        capsize=3, label="cross-validated (5 folds)")
ax.scatter([test_scores[name] for name in test_scores],
           [scores.index.get_loc(name) for name in test_scores],
           color="tab:red", zorder=3, label="test (tuned SVC, transfer)")
ax.axvline(1 / len(names), color="0.5", linestyle=":", label="chance")
ax.set_yticks(rows, scores.index)
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel("accuracy, four characters")
ax.legend(loc="upper right", fontsize="small")
plt.show()
