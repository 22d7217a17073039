"""
===================================================
A map of the embeddings, look-alikes and clusters
===================================================

What does a pretrained backbone see in cartoons? This example embeds drawings of eight
characters with :class:`~toonsklearn.embedding.ImageEmbedder` and looks at the
embeddings three ways: as a map of thumbnails
(:class:`~toonsklearn.plotting.EmbeddingDisplay`), as a search for "drawings like this
one" (:class:`~sklearn.neighbors.NearestNeighbors`), and as clusters found without
labels (:class:`~sklearn.cluster.KMeans`), scored against the true characters with
:func:`~sklearn.metrics.adjusted_rand_score`.
"""

# %%
# Eight characters
# ----------------
# ``make_toons(task="characters")`` draws named characters, each a species in its own
# colour with its own accessory, on random backgrounds with random clutter. Thirty
# drawings of each make the collection; four new drawings, made with another seed, will
# be the queries.
import matplotlib.pyplot as plt
import numpy as np

from toonsklearn.datasets import make_toons

n_classes = 8
X, y = make_toons(30 * n_classes, task="characters", n_classes=n_classes, image_size=64,
                  random_state=0)
X_new, y_new = make_toons(4, task="characters", n_classes=n_classes, image_size=64,
                          random_state=1)
print(len(X), "drawings of", n_classes, "characters;", len(X_new), "new drawings")

# %%
# The map
# -------
# :meth:`EmbeddingDisplay.from_estimator
# <toonsklearn.plotting.EmbeddingDisplay.from_estimator>` embeds the drawings, projects
# the 1,280 features of each to two dimensions and draws the drawings there, each framed
# in its character's colour. t-SNE keeps each drawing near the drawings it is nearest to
# in the embedding, which shows groups better than PCA (whose two axes keep only the
# largest differences); the distances between groups on a t-SNE map mean little.
#
# The embedder sees the drawings enlarged to 224x224, the backbone's own size, which
# suits it better than their 64 pixels and costs little: embedding takes about 9 ms a
# drawing on two CPU cores. `memory` keeps each drawing's features in a folder, so the
# ``transform`` after the map reads them back instead of running the backbone again.
import os
import tempfile

from toonsklearn.embedding import ImageEmbedder
from toonsklearn.plotting import EmbeddingDisplay

cache = os.path.join(tempfile.mkdtemp(), "features")
embedder = ImageEmbedder(memory=cache)
display = EmbeddingDisplay.from_estimator(embedder, X, y, method="tsne", max_images=120,
                                          random_state=0)
embeddings = embedder.transform(X)  # read back from the cache
print("embeddings:", embeddings.shape, embeddings.dtype)
plt.show()

# %%
# Drawings of one character gather in places, but backgrounds gather too: drawings on
# striped backgrounds, say, form islands of their own, whatever character they show.
# The backbone describes the whole picture, not only the character in it.
#
# Drawings like this one
# ----------------------
# :class:`~sklearn.neighbors.NearestNeighbors` on the embeddings finds the drawings of
# the collection nearest to a new one. The cosine distance compares the directions of
# two embeddings and ignores their lengths, which vary with how much is drawn. Each row
# below is a new drawing (left) and its five nearest drawings, titled with their
# character, a tick where it is the new drawing's.
from sklearn.neighbors import NearestNeighbors

search = NearestNeighbors(n_neighbors=5, metric="cosine").fit(embeddings)
distances, neighbours = search.kneighbors(embedder.transform(X_new))


def short(name):
    """``"red_tom_plain"`` as ``"red tom"``: the accessory left out of titles."""
    return " ".join(name.split("_")[:2])


figure, axes = plt.subplots(len(X_new), 6, figsize=(9, 6.6), layout="constrained")
for row, (image, name, found, far) in enumerate(
        zip(X_new, y_new, neighbours, distances, strict=True)):
    axes[row, 0].imshow(image)
    axes[row, 0].set_title(f"new: {short(name)}", fontsize="small", fontweight="bold")
    for ax, index, distance in zip(axes[row, 1:], found, far, strict=True):
        ax.imshow(X[index])
        tick = " \N{CHECK MARK}" if y[index] == name else ""
        ax.set_title(f"{short(y[index])}{tick}\n{distance:.2f}", fontsize="small")
for ax in axes.flat:
    ax.set_axis_off()
figure.suptitle("Drawings like this one: the five nearest, with their cosine distance")
plt.show()

# %%
# How often is a neighbour of the same character? Each drawing of the collection asks
# for its five nearest others (the first one found is the drawing itself, left out):
same = y[search.kneighbors(embeddings, n_neighbors=6)[1][:, 1:]] == y[:, np.newaxis]
print(f"neighbours of the same character: {same.mean():.2f} "
      f"(chance {1 / n_classes:.2f})")

# %%
# Clusters without labels
# -----------------------
# Had the drawings no labels, could clustering find the characters? :class:`KMeans
# <sklearn.cluster.KMeans>` splits the embeddings into eight groups; the
# :class:`~sklearn.preprocessing.Normalizer` in front scales each embedding to length
# one, so that the Euclidean distance KMeans uses follows the cosine distance above.
# :func:`~sklearn.metrics.adjusted_rand_score` compares the clusters with the true
# characters: 1 when they match, 0 for clusters no better than chance. The same
# clustering of the raw pixels is the baseline.
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer

clustering = make_pipeline(Normalizer(), KMeans(n_classes, n_init=10, random_state=0))
clusters = clustering.fit_predict(embeddings)
pixel_clusters = clustering.fit_predict(X.reshape(len(X), -1) / 255)
print(f"adjusted Rand index, clusters of the embeddings: "
      f"{adjusted_rand_score(y, clusters):.2f}; of the pixels: "
      f"{adjusted_rand_score(y, pixel_clusters):.2f}")

# %%
# Six drawings of each cluster, titled with the cluster's most common character and its
# share. The clusters follow the characters only in part: the backbone was trained to
# name what a photo shows, and on these drawings the background and the clutter are
# much of what it sees. KMeans groups what differs most, and that is often the kind of
# background (look along a row: stripes, noise, a gradient) or a body colour rather
# than a character. A few labelled drawings a character and a nearest-neighbour or
# linear classifier
# (:ref:`sphx_glr_auto_examples_embedding_plot_embedding_baseline.py`) do far better;
# clustering suits a first look at unlabelled drawings, to label a cluster at a time.
figure, axes = plt.subplots(n_classes, 6, figsize=(7.5, 10.5), layout="constrained")
for cluster, row in enumerate(axes):
    members = np.flatnonzero(clusters == cluster)
    names, counts = np.unique(y[members], return_counts=True)
    row[0].set_title(f"cluster {cluster}: {len(members)} drawings, "
                     f"{counts.max() / len(members):.0%} {short(names[counts.argmax()])}",
                     fontsize="small", loc="left")
    for ax, index in zip(row, members[:6], strict=False):
        ax.imshow(X[index])
    for ax in row:
        ax.set_axis_off()
figure.suptitle("KMeans clusters of the embeddings")
plt.show()
