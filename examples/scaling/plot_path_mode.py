"""
==================================
Thousands of image files, streamed
==================================

Every estimator of toonsklearn accepts a 1-D array of file paths as ``X``: it then
decodes the images a batch at a time with ``tf.data`` instead of holding them all in
memory. This example fits and predicts on a folder of thousands of files, measures how
the memory of a prediction grows with the number of files (it does not, unlike the
decoded array), and shows the feature cache (``memory=``) of a
:class:`~toonsklearn.TransferClassifier` making a second fit and prediction faster.
"""

# %%
# A folder of image files
# -----------------------
# :func:`~toonsklearn.datasets.make_toons` writes 3,000 PNG files into
# ``train/``, ``validation/`` and ``test/`` folders, and
# :func:`~toonsklearn.load_image_folder` returns the paths and labels of a split
# without opening a single image.
import os
import tempfile

import numpy as np

from toonsklearn import load_image_folder
from toonsklearn.datasets import make_toons

folder = tempfile.mkdtemp()
root = make_toons(3000, image_size=32, random_state=0, directory=os.path.join(folder, "toons"))
train = load_image_folder(root, subset="train")
test = load_image_folder(root, subset="test")
every_file = np.array(sorted(str(path) for path in root.rglob("*.png")))
on_disk = sum(os.path.getsize(path) for path in every_file)
print(f"{len(every_file)} files, {on_disk / 2**20:.1f} MiB on disk;",
      len(train.paths), "for training,", len(test.paths), "for testing")
print("X is", type(train.paths).__name__, train.paths.shape, train.paths.dtype,
      "e.g.", os.path.relpath(train.paths[0], folder))

# %%
# Fit and predict on paths
# ------------------------
# The paths go straight into ``fit`` and ``predict``. The classifier resizes each image
# to its ``input_size`` as it decodes it, and the pretrained EfficientNet-Lite0 backbone
# (the default, whose weights come with pip) turns it into features for the head. With
# ``memory=`` a folder, those features are also written to a cache, one file per image:
# we time this first fit and prediction, which fill the cache.
import time

from sklearn.metrics import accuracy_score

from toonsklearn import TransferClassifier


def timed_fit_predict(model):
    """Fit ``model`` on the training paths, predict the test paths; time both calls."""
    start = time.perf_counter()
    model.fit(train.paths, train.target)
    fitted = time.perf_counter() - start
    start = time.perf_counter()
    predictions = model.predict(test.paths)
    return predictions, fitted, time.perf_counter() - start


cache = os.path.join(folder, "feature_cache")
clf = TransferClassifier(input_size=(96, 96), epochs=20, memory=cache, random_state=0,
                         verbose=0)
cold_pred, cold_fit, cold_predict = timed_fit_predict(clf)
print(f"fit on {len(train.paths)} paths: {cold_fit:.1f} s; "
      f"predict {len(test.paths)} paths: {cold_predict:.1f} s")
print(f"test accuracy: {accuracy_score(test.target, cold_pred):.3f}")

# %%
# Memory: streamed files against a decoded array
# ----------------------------------------------
# How far does the memory of the process rise while it works? We read the resident set
# size (RSS) of this process from ``/proc/self/status`` (Linux) every 10 ms while a call
# runs, and record the peak above where it started. Two calls, for a growing number of
# files:
#
# - ``predict_proba`` on the paths, through the whole network (we set ``memory=None``
#   so that it decodes every image instead of reading cached features);
# - :class:`~toonsklearn.ImageFolderLoader` decoding the same files, at the same size,
#   into one array, as in-memory training would need.
#
# RSS counts all the process's memory, TensorFlow's buffers included, so small
# differences are noise; a first call builds the prediction graph, so it runs before
# the measurements.
import threading

from toonsklearn import ImageFolderLoader


def rss_mib():
    """The resident memory of this process now, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmRSS in /proc/self/status")


def peak_rss_increase(func, *args):
    """Run ``func(*args)``; return how far the RSS rose above its start (MiB)."""
    start, peak, done = rss_mib(), [0.0], threading.Event()

    def sample():
        while not done.wait(0.01):
            peak[0] = max(peak[0], rss_mib())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = func(*args)  # kept until the last reading: the array is part of the cost
        peak[0] = max(peak[0], rss_mib())
    finally:
        done.set()
        sampler.join()
    del result
    return peak[0] - start


clf.set_params(memory=None)  # predict from the pixels, not from the cached features
clf.predict_proba(every_file[:100])  # builds the prediction graph
loader = ImageFolderLoader(size=(96, 96))
counts = [300, 1000, 3000]
streamed = [peak_rss_increase(clf.predict_proba, every_file[:n]) for n in counts]
decoded = [peak_rss_increase(loader.fit_transform, every_file[:n]) for n in counts]
clf.set_params(memory=cache)
for n, s, d in zip(counts, streamed, decoded, strict=True):
    print(f"{n:5d} files: predict_proba on paths +{s:6.1f} MiB | decoded array "
          f"+{d:6.1f} MiB (uint8: {n * 96 * 96 * 3 / 2**20:5.1f} MiB, as float32 four "
          "times that)")

# %%
# The decoded array costs what its size says, and grows with every file; the streamed
# prediction's memory does not follow the number of files: only a few batches are
# decoded at any moment. (Predictions themselves, one row of probabilities per image,
# are kept, but they are tiny. A frozen backbone's ``fit`` likewise keeps one pooled
# feature vector per image, 1,280 numbers for EfficientNet-Lite0, not the image.)
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(counts, decoded, "o-", label="decoded into one array (ImageFolderLoader)")
ax.plot(counts, streamed, "o-", label="predict_proba on file paths (streamed)")
ax.set(xlabel="number of image files", ylabel="peak RSS increase (MiB)",
       title="Memory of one call, images at 96×96")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# The feature cache: a second fit and prediction
# ----------------------------------------------
# A new estimator with the same parameters, fitted on the same files, finds the
# features of every image in the cache: the backbone does not run, and only the small
# head trains. Predictions read the test images' features too. The cache is keyed by
# the backbone, its weights, the input size and each file's content, so it is shared by
# every fit, cross-validation fold, search candidate and process that uses the folder.
from sklearn.base import clone

warm_pred, warm_fit, warm_predict = timed_fit_predict(clone(clf))
print(f"fit:     {cold_fit:5.1f} s with an empty cache, {warm_fit:5.1f} s warm "
      f"({cold_fit / warm_fit:.1f}x faster)")
print(f"predict: {cold_predict:5.1f} s with an empty cache, {warm_predict:5.1f} s warm "
      f"({cold_predict / warm_predict:.1f}x faster)")
print("same test predictions:", bool(np.array_equal(cold_pred, warm_pred)))

fig, ax = plt.subplots(figsize=(5, 3))
positions = np.arange(2)
ax.bar(positions - 0.2, [cold_fit, cold_predict], 0.4, label="empty cache")
ax.bar(positions + 0.2, [warm_fit, warm_predict], 0.4, label="warm cache")
ax.set_xticks(positions, [f"fit ({len(train.paths)} files)",
                          f"predict ({len(test.paths)} files)"])
ax.set(ylabel="seconds", title="The same calls, with the feature cache warm")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# What the cache holds
# --------------------
# One ``.npy`` file per image, in a sub-folder named by a digest of the feature
# extractor. Each holds the image's pooled features as float32: for images as small as
# these, a feature file is larger than the PNG it describes, so the cache trades disk
# space for backbone computations. Nothing in it is ever deleted: remove the folder to
# free the space. See :ref:`scaling` for path mode and parallel searches.
entries = [os.path.join(dirpath, name) for dirpath, _, names in os.walk(cache)
           for name in names if name.endswith(".npy")]
cache_size = sum(os.path.getsize(path) for path in entries)
print(f"{len(entries)} cached feature files, {cache_size / 2**20:.1f} MiB "
      f"(the images: {on_disk / 2**20:.1f} MiB on disk)")
