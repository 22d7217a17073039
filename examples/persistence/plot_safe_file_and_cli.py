"""
====================================================
A safe model file, another process, the command line
====================================================

A fitted model is only useful if it can leave the process that trained it.
:func:`~toonsklearn.io.save` writes it to one file that :func:`~toonsklearn.io.load`
reads back without running any code from it, unlike a pickle. This example saves a
classifier, loads it in a fresh Python process and checks that it predicts the same,
labels a folder of images with the ``toonsklearn predict`` command, and shows what a
pickle (:func:`joblib.dump`) would do instead.
"""

# %%
# A model to save
# ---------------
# A :class:`~toonsklearn.TransferClassifier` fitted on the file paths of
# :func:`~toonsklearn.datasets.make_toons` drawings, with the class *names* as targets,
# so that its predictions are ``"tom"`` and ``"jerry"``.
import os
import tempfile

import numpy as np

from toonsklearn import TransferClassifier, load_image_folder
from toonsklearn.datasets import make_toons

folder = tempfile.mkdtemp()
root = make_toons(400, image_size=48, random_state=0, directory=os.path.join(folder, "toons"))
train = load_image_folder(root, subset="train")
test = load_image_folder(root, subset="test")
names = np.asarray(train.target_names)

clf = TransferClassifier(input_size=(48, 48), epochs=20, random_state=0, verbose=0)
clf.fit(train.paths, names[train.target])
here = clf.predict_proba(test.paths)
print("classes:", clf.classes_.tolist())
print(f"test accuracy: {clf.score(test.paths, names[test.target]):.3f}")

# %%
# Save it: one file, no pickle
# ----------------------------
# The file is a zip archive: the Keras network in Keras' own format (loaded with
# ``safe_mode=True``), everything else in the skops format, which builds only types on
# an allow-list, and a manifest with a digest of every member.
# :func:`~toonsklearn.io.untrusted_types` reads a file without building anything and
# lists the types that :func:`~toonsklearn.io.load` would refuse unless told to trust
# them: for our own model, none.
import zipfile

from toonsklearn.io import save, untrusted_types

model_file = os.path.join(folder, "toons.toonsklearn")
save(clf, model_file)
print(f"{os.path.basename(model_file)}: {os.path.getsize(model_file) / 2**20:.1f} MiB")
with zipfile.ZipFile(model_file) as archive:
    print("members:", archive.namelist())
print("untrusted types:", untrusted_types(model_file))

# %%
# Load it in a fresh process
# --------------------------
# A new Python interpreter, which has never seen the estimator, loads the file and
# predicts the test images; it writes the probabilities to a ``.npy`` file for us to
# compare with the ones computed in this process.
import subprocess
import sys

loader_code = """
import sys
import numpy as np
from toonsklearn.io import load

model = load(sys.argv[1])
np.save(sys.argv[2], model.predict_proba(np.array(sys.argv[3:])))
print(type(model).__name__, "loaded, classes", model.classes_.tolist())
"""
there_file = os.path.join(folder, "proba.npy")


def run(*args, **kwargs):
    """Run a command and return its standard output; raise with its errors if it fails."""
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{args[:4]} failed:\n{done.stderr}")
    return done.stdout


print(run(sys.executable, "-c", loader_code, model_file, there_file, *test.paths), end="")
there = np.load(there_file)
print("same labels:", bool(np.array_equal(here.argmax(axis=1), there.argmax(axis=1))))
print(f"largest difference in probability: {np.abs(here - there).max():.2g}")

# %%
# Predict from the command line
# -----------------------------
# ``toonsklearn predict MODEL FOLDER`` (here ``python -m toonsklearn``, the same
# command) loads the file in the same safe way and prints one line per image found in
# the folder: its path, the predicted label and that label's probability, separated by
# tabs (see :ref:`cli`). Running it from the data folder keeps the paths short.
output = run(sys.executable, "-m", "toonsklearn", "predict", model_file,
             os.path.join("toons", "test"), cwd=folder)
lines = output.splitlines()
print("\n".join(lines[:5]))
print(f"... {len(lines)} lines in all")

cli = {os.path.join(folder, path): label
       for path, label, _ in (line.split("\t") for line in lines)}
in_process = dict(zip(test.paths, clf.predict(test.paths), strict=True))
print("the command's labels agree with predict:",
      all(cli[path] == label for path, label in in_process.items()))

# %%
# A few test images, titled with the command's prediction and its probability, in green
# where it is right and in red where it is wrong:
import matplotlib.pyplot as plt
from PIL import Image

fig, axes = plt.subplots(2, 5, figsize=(8, 3.8))
shown = np.random.default_rng(0).choice(len(test.paths), size=axes.size, replace=False)
probability = {os.path.join(folder, path): p
               for path, _, p in (line.split("\t") for line in lines)}
for ax, i in zip(axes.flat, shown, strict=True):
    path = test.paths[i]
    with Image.open(path) as image:
        ax.imshow(image)
    right = cli[path] == names[test.target[i]]
    ax.set_title(f"{cli[path]} ({float(probability[path]):.2f})",
                 color="tab:green" if right else "tab:red", fontsize=10)
    ax.axis("off")
fig.suptitle("toonsklearn predict toons.toonsklearn toons/test")
plt.tight_layout()
plt.show()

# %%
# What a pickle would do instead
# ------------------------------
# :func:`joblib.dump` would store the same model as a pickle, and :func:`joblib.load`
# would read it back. But a pickle is a program: it names Python callables and the
# arguments to call them with, and unpickling calls them. An object can make the file
# say anything, as this harmless one does:
import joblib


class Surprise:
    def __reduce__(self):  # what to call to "rebuild" this object while loading
        return print, ("this ran while the file was loading",)


pickle_file = os.path.join(folder, "surprise.joblib")
joblib.dump(Surprise(), pickle_file)
_ = joblib.load(pickle_file)

# %%
# A crafted file could call anything else just as well, with your permissions, the
# moment it is loaded: no check of a pickle makes it safe to load, only trust in
# whoever wrote it. :func:`~toonsklearn.io.load` never unpickles; handed a pickle, it
# refuses it with a :exc:`~toonsklearn.exceptions.ModelFileError`, without unpickling
# it. So share and accept models as ``.toonsklearn`` files, and keep
# :func:`joblib.dump` for files you only load yourself (see :ref:`persistence`).
from toonsklearn.exceptions import ModelFileError
from toonsklearn.io import load

joblib.dump(clf, os.path.join(folder, "toons.joblib"))
try:
    load(os.path.join(folder, "toons.joblib"))
except ModelFileError as error:
    print(type(error).__name__ + ":", error)
