"""
===============================================
Tom vs Jerry: a frozen backbone, then fine-tune
===============================================

Transfer learning in its two usual steps, on a folder of cartoons: first a new head on a
frozen, pretrained EfficientNet-Lite0 (only the head trains, on features computed once),
then fine-tuning, which unfreezes the backbone and trains a few more epochs at a small
learning rate so that its features adapt to cartoons. A held-out validation folder
chooses between the two models, and the test folder shows where the chosen one still
goes wrong: per class, in a confusion matrix, and image by image.
"""

# %%
# A folder of cartoons
# --------------------
# :func:`~toonsklearn.datasets.make_toons` writes Tom (a cat) and Jerry (a mouse) into
# ``train/``, ``validation/`` and ``test/`` folders, one sub-folder per class, and
# :func:`~toonsklearn.load_image_folder` lists each split. The estimators take the file
# paths themselves and decode them batch by batch; we turn the class indices into class
# names so that every report and plot below names the classes.
import tempfile

import numpy as np
import pandas as pd

from toonsklearn import load_image_folder
from toonsklearn.datasets import make_toons

folder = tempfile.mkdtemp()
root = make_toons(700, image_size=48, random_state=0, directory=f"{folder}/toons")
splits = {name: load_image_folder(root, subset=name) for name in ("train", "validation", "test")}
names = np.asarray(splits["train"].target_names)
paths = {name: split.paths for name, split in splits.items()}
labels = {name: names[split.target] for name, split in splits.items()}
print(pd.DataFrame({name: pd.Series(y).value_counts() for name, y in labels.items()}).T)

# %%
# A frozen backbone
# -----------------
# :class:`~toonsklearn.TransferClassifier` puts a new head (here just the output layer,
# as `dense_units` is None) on EfficientNet-Lite0, whose ImageNet weights install with
# pip. With the default `fine_tune_layers=0` the backbone is frozen: it runs once over
# the training images and the head trains on their features, epoch after epoch, which
# takes seconds. The network was trained on 224-pixel photos; ``input_size=(48, 48)``
# keeps this page fast on a CPU, at some cost in accuracy.
#
# `memory` keeps the features on disk, one file per image, so that the second model below
# does not compute them again. Each fit holds out `validation_fraction` of its training
# images for early stopping, which restores the weights of the best epoch.
from toonsklearn import TransferClassifier

cache = f"{folder}/features"
frozen = TransferClassifier(input_size=(48, 48), epochs=30, validation_fraction=0.15,
                            memory=cache, random_state=0, verbose=0)
frozen.fit(paths["train"], labels["train"])
print("frozen backbone, validation accuracy:",
      round(frozen.score(paths["validation"], labels["validation"]), 3))

# %%
# Fine-tuning
# -----------
# `fine_tune_layers` unfreezes the backbone's top layers with weights (a number of them,
# or ``"all"``) once the head has converged; BatchNormalization layers stay frozen and in
# inference mode. The second phase runs up to `fine_tune_epochs` at
# `fine_tune_learning_rate`. The default rate, 1e-5, barely moves the pretrained weights;
# these tiny cartoons are far from ImageNet's photos, so we let them move ten times
# faster.
#
# With the same seed and the same cached features, the first phase of this fit is
# exactly the frozen model above: only the second phase is new.
from sklearn.base import clone

tuned = clone(frozen).set_params(fine_tune_layers="all", fine_tune_epochs=8,
                                 fine_tune_learning_rate=1e-4)
tuned.fit(paths["train"], labels["train"])
print("fine-tuned, validation accuracy:",
      round(tuned.score(paths["validation"], labels["validation"]), 3))
print(tuned.history_.groupby("phase", sort=False).size().rename("epochs").to_string())

# %%
# Both phases in the learning curves
# ----------------------------------
# :class:`~toonsklearn.plotting.HistoryDisplay` draws the loss and accuracy of every
# epoch, on the training images and on the held-out part, shades the fine-tuning phase
# and marks the epoch whose weights were kept. Watch the gap between the curves once the
# backbone is unfrozen: the whole network can now fit its training images, so the
# training loss falls much faster than the validation loss, and the validation curves
# say how much of that carries over to images it has not seen. That is why fine-tuning
# takes a small learning rate, few epochs and early stopping, which keeps the weights
# of the marked epoch.
import matplotlib.pyplot as plt

from toonsklearn.plotting import HistoryDisplay

HistoryDisplay.from_estimator(tuned)
plt.show()

# %%
# Choosing with the validation folder
# -----------------------------------
# The validation folder, which neither fit trained on, chooses between the two models;
# the test folder is kept for the final report.
models = {"frozen backbone": frozen, "fine-tuned": tuned}
scores = pd.DataFrame({
    split: {name: model.score(paths[split], labels[split]) for name, model in models.items()}
    for split in ("validation", "test")
})
print(scores.round(3))
chosen_name = scores["validation"].idxmax()
chosen = models[chosen_name]
print("chosen:", chosen_name)

# %%
# The test report
# ---------------
# :func:`~sklearn.metrics.classification_report` gives precision, recall and F1 per class
# on the test images, which played no part in training or choosing.
from sklearn.metrics import classification_report

predicted = chosen.predict(paths["test"])
print(classification_report(labels["test"], predicted))

# %%
# Where it goes wrong
# -------------------
# :class:`~toonsklearn.plotting.ConfusionDisplay` counts each true class (rows) against
# each predicted one (columns): the off-diagonal cells are the mistakes, and whether one
# class is confused for the other more often than the reverse.
from toonsklearn.plotting import ConfusionDisplay

ConfusionDisplay.from_predictions(labels["test"], predicted, labels=chosen.classes_)
plt.show()

# %%
# :class:`~toonsklearn.plotting.MisclassifiedDisplay` shows the test images the model gets
# wrong with the highest loss (worst first), each with its true label, the predicted one with
# its probability, and the loss. They are shown as the model sees them, at 48×48
# pixels: look for what they have in common, such as a character cut off by the frame,
# covered by a blob, or lost in a busy background.
from toonsklearn.plotting import MisclassifiedDisplay

wrong = MisclassifiedDisplay.from_estimator(chosen, paths["test"], labels["test"],
                                            n_images=8, ncols=4)
print(wrong.n_wrong, "of", len(paths["test"]), "test images are misclassified")
plt.show()
