"""
===============================================
Embeddings: a baseline and few-shot k-NN
===============================================

:class:`~toonsklearn.embedding.ImageEmbedder` turns each image into one feature vector,
the pooled features of a frozen pretrained backbone, for any scikit-learn model to take
over. This example builds the two-line transfer baseline, a logistic regression on those
features, then asks how few drawings of each character are enough: k nearest neighbours
on the embeddings against :class:`~toonsklearn.TransferClassifier` at 1, 5 and 20
drawings a character. The embedder and the classifier share one feature cache
(`memory`), so the backbone runs once over each image for every fit in this example.
"""

# %%
# Ten characters
# --------------
# ``make_toons(task="characters")`` draws the named characters of
# :data:`~toonsklearn.datasets.CAST`: a species in its own colour with its own accessory,
# on a random background with random clutter. Ten drawings of each character are set
# aside for testing; the training drawings come from the other thirty.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from toonsklearn.datasets import make_toons

n_classes = 10
X, y = make_toons(40 * n_classes, task="characters", n_classes=n_classes, image_size=64,
                  random_state=0)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=10 * n_classes, stratify=y, random_state=0)
print(len(y_pool), "drawings to train on,", len(y_test), "test drawings,",
      n_classes, "characters")

# %%
# The two-line baseline
# ---------------------
# An :class:`~toonsklearn.embedding.ImageEmbedder` in a
# :class:`~sklearn.pipeline.Pipeline` in front of a
# :class:`~sklearn.linear_model.LogisticRegression`: the images go in, the
# characters come out. The default backbone, EfficientNet-Lite0 with its ImageNet
# weights, installs with pip and needs no network. It sees the 64x64 drawings enlarged
# to its own 224x224 pixels: it was trained on 224-pixel photos and finds shapes better
# near that scale. A smaller ``input_size`` such as ``(64, 64)`` would not make this
# example faster to speak of (embedding is the cheap part here: about 9 ms a drawing on
# two CPU cores) and would cost accuracy.
#
# `memory` names a folder where each image's features are kept, keyed by the
# backbone and by the image's pixels: every later fit or transform of the same images,
# by this pipeline or by anything else with the same backbone and folder, reads them
# back instead of running the backbone again.
import os
import tempfile
import time

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from toonsklearn.embedding import ImageEmbedder

cache = os.path.join(tempfile.mkdtemp(), "features")
start = time.perf_counter()
baseline = make_pipeline(ImageEmbedder(memory=cache),
                         LogisticRegression(max_iter=1000))
baseline.fit(X_pool, y_pool)
print(f"logistic regression on the embeddings, {len(y_pool) // n_classes} drawings a "
      f"character: test accuracy {baseline.score(X_test, y_test):.2f} "
      f"(chance {1 / n_classes:.2f}), {time.perf_counter() - start:.1f} s")

# %%
# Few drawings a character
# ------------------------
# With one drawing of each character there is nothing to fit a model to, but a new
# drawing can still take the label of the known drawing it looks most like: a
# :class:`~sklearn.neighbors.KNeighborsClassifier` with one neighbour, on the cosine
# distance between embeddings, which ignores how large a vector is and compares
# what it points at. Against it, :class:`~toonsklearn.TransferClassifier` trains a
# softmax head on the same features, with the settings of
# :ref:`sphx_glr_auto_examples_classification_plot_few_shot.py` (no validation split,
# small batches, a larger learning rate).
# Each number of drawings is drawn three times, with other drawings each time.
#
# The embedder in the k-NN pipeline and the classifier share the cache folder:
# the classifier's backbone, preprocessing and input size are the embedder's, so its
# features are the same and read back from the same files.
import pandas as pd
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier

from toonsklearn import TransferClassifier

models = {
    "1-NN on embeddings": make_pipeline(ImageEmbedder(memory=cache),
                                        KNeighborsClassifier(1, metric="cosine")),
    "TransferClassifier": TransferClassifier(dense_units=None, epochs=100, batch_size=8,
                                             learning_rate=3e-3, validation_fraction=0,
                                             memory=cache, random_state=0, verbose=0),
}


def draw(shots, seed):
    """`shots` random drawings of each character from the pool."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y_pool == name), shots, replace=False)
                           for name in np.unique(y_pool)])


rows = []
for shots in (1, 5, 20):
    for seed in range(3):
        train = draw(shots, seed)
        for name, model in models.items():
            start = time.perf_counter()
            fitted = clone(model).fit(X_pool[train], y_pool[train])
            rows.append({"drawings a character": shots, "draw": seed, "model": name,
                         "accuracy": fitted.score(X_test, y_test),
                         "seconds": time.perf_counter() - start})
results = pd.DataFrame(rows)
table = results.pivot_table(index="drawings a character", columns="model",
                            values=["accuracy", "seconds"], aggfunc="mean")
print(table.round(2).to_string())
n_cached = sum(name.endswith(".npy") for _, _, files in os.walk(cache) for name in files)
print(f"the backbone ran on {n_cached} drawings, for {len(results) + 1} fits and their "
      "scores")

# %%
# The plot shows the mean accuracy of the three draws for each number of drawings a
# character. With a single drawing the two are close: a trained head has as little to
# go on as the nearest neighbour. As drawings are added, the head pulls ahead: it
# learns which of the 1,280 features tell these characters apart, while the nearest
# neighbour weighs every feature alike, backgrounds and clutter included. k-NN needs no
# training, so it suits a set of labelled drawings that keeps growing; the trained head
# is the better classifier once there are a handful of drawings a class.
figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
accuracy = table["accuracy"]
for name in models:
    ax.plot(accuracy.index, accuracy[name], marker="o", label=name)
ax.axhline(1 / n_classes, color="0.5", linestyle=":", label=f"chance (1/{n_classes})")
ax.set_xscale("log")
ax.set_xticks(accuracy.index, [str(shots) for shots in accuracy.index])
ax.set_xlabel("training drawings a character")
ax.set_ylabel(f"test accuracy ({n_classes} characters)")
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("Few-shot: nearest neighbour against a trained head")
plt.show()
