"""
=====================================================
Vehicles vs animals: from scratch or from a backbone?
=====================================================

A few hundred images: is that enough to train a convolutional network from random
weights? This example trains a :class:`~toonsklearn.CNNClassifier` from scratch and a
:class:`~toonsklearn.TransferClassifier` on a pretrained backbone on the same images,
tells vehicles from animals with each, and sets their learning curves side by side:
where the scratch network still has to learn what an edge and a wheel are, the backbone
brings them from ImageNet.
"""

# %%
# Vehicles and animals
# --------------------
# ``make_toons(task="vehicles")`` labels a car, bus, plane or boat
# (:data:`~toonsklearn.datasets.VEHICLES`) ``"vehicle"`` and any of the seven cartoon
# animals ``"animal"``: each class is made of several kinds of drawing, in random colours,
# on random backgrounds, so a model has to learn what the kinds of each class share. We
# keep 400 images for training and 200 for testing.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from toonsklearn.datasets import make_toons

X, y = make_toons(600, task="vehicles", image_size=64, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=200, stratify=y,
                                                    random_state=0)
print(len(y_train), "training images,", len(y_test), "test images:", np.unique(y).tolist())

figure, axes = plt.subplots(2, 6, figsize=(10, 3.8), layout="constrained")
for row, label in zip(axes, ("animal", "vehicle"), strict=True):
    for ax, i in zip(row, np.flatnonzero(y_train == label), strict=False):
        ax.imshow(X_train[i])
        ax.set_axis_off()
    row[0].set_title(label, loc="left")
plt.show()

# %%
# Two classifiers, one interface
# ------------------------------
# Both estimators take the same images and labels, hold out the same fraction of the
# training images for early stopping, and see the images at their drawn size of 64×64
# pixels. The scratch network is a small one (three blocks of 16, 32 and 64 filters): a
# larger one would take longer and, on 400 images, overfit sooner. Batches of 16 give it
# twenty weight updates an epoch instead of ten. The transfer model trains only a new
# head on EfficientNet-Lite0's frozen features, which it computes once.
import time

from toonsklearn import CNNClassifier, TransferClassifier

common = dict(input_size=(64, 64), epochs=40, batch_size=16, early_stopping=15,
              validation_fraction=0.2, random_state=0, verbose=0)
models = {
    "CNN from scratch": CNNClassifier(filters=(16, 32, 64), **common),
    "transfer (frozen backbone)": TransferClassifier(**common),
}
seconds = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds[name] = time.perf_counter() - start
    print(f"{name}: {len(model.history_)} epochs in {seconds[name]:.0f} s")

# %%
# Learning curves side by side
# ----------------------------
# :class:`~toonsklearn.plotting.HistoryDisplay` draws into Axes of our own with `ax`:
# one row per model, accuracy and loss in the columns, on shared scales so the rows
# compare. Each panel shows the training and the validation curve, and marks the epoch
# whose weights early stopping kept.
#
# Look at the validation curves. The scratch network starts at what guessing would give
# and climbs slowly, epoch by epoch, as its filters learn what the drawings are made of;
# its validation curve is noisy, because 80 held-out images move it in steps of 1.25
# points. The transfer model's validation accuracy is high from the first epochs, because
# its features already describe shapes: its head only has to learn which of them tell a
# vehicle from an animal.
from toonsklearn.plotting import HistoryDisplay

figure, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharey="col", layout="constrained")
for row, (name, model) in zip(axes, models.items(), strict=True):
    HistoryDisplay.from_estimator(model, ax=row)
    row[0].annotate(name, (0, 0.5), xytext=(-row[0].yaxis.labelpad - 40, 0),
                    xycoords="axes fraction", textcoords="offset points", rotation=90,
                    ha="right", va="center", fontweight="bold")
plt.show()

# %%
# Test accuracy
# -------------
# On the 200 test images, which neither model saw: accuracy, and the fitting time on
# this machine.
import pandas as pd

results = pd.DataFrame({
    "test accuracy": {name: model.score(X_test, y_test) for name, model in models.items()},
    "fit seconds": seconds,
})
print(results.round(3))

figure, ax = plt.subplots(figsize=(5.5, 3), layout="constrained")
bars = ax.barh(results.index, results["test accuracy"])
ax.bar_label(bars, fmt="%.2f", padding=3)
ax.axvline(0.5, color="0.5", linestyle=":", label="chance")
ax.set_xlim(0, 1)
ax.set_xlabel("test accuracy")
ax.legend(loc="lower right")
ax.invert_yaxis()
plt.show()

# %%
# A network from scratch has to learn everything from these 320 training images (the
# other 80 are held out for early stopping). It does better with many more images and
# epochs, and augmentation (``augment="light"``) stretches the images it has; each costs
# time. With a few hundred images, a pretrained backbone is the better start, and
# fine-tuning it (see the Tom vs Jerry example) can take it further.
