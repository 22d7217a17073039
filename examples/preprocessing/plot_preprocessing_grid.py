"""
=============================================
Searching the preprocessing with GridSearchCV
=============================================

How an image is brought to the model's size (stretched, padded or cropped) and whether
it is denoised first are choices like any other hyperparameter. Put into a
:class:`~sklearn.pipeline.Pipeline`, as :class:`~toonsklearn.ImageFolderLoader` and
:class:`~toonsklearn.ImageTransformer` parameters, they are compared by cross-validation
with :class:`~sklearn.model_selection.GridSearchCV`. This example previews what each
variant does to one image, searches the six of them on six cartoon characters, and
shows the scores as a table and a bar chart.
"""

# %%
# Noisy, wide frames
# ------------------
# :func:`~toonsklearn.datasets.make_toons` draws six characters into
# ``{train,validation,test}/<class>/`` folders. Asked for frames wider than tall, it
# draws each scene square and stretches it to the frame, as a widescreen broadcast of
# an old 4:3 cartoon would: the characters come out too wide. We also sprinkle every
# file with salt-and-pepper specks, as a poor scan would have them, so that denoising
# has something to remove.
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from toonsklearn import load_image_folder
from toonsklearn.datasets import make_toons

folder = tempfile.mkdtemp()
root = make_toons(840, task="multiclass", n_classes=6, image_size=(64, 96), random_state=0,
                  directory=Path(folder, "toons"))
rng = np.random.default_rng(0)
for path in sorted(Path(root).rglob("*.png")):
    pixels = np.array(Image.open(path))
    specks = rng.random(pixels.shape[:2])
    pixels[specks < 0.03] = 0
    pixels[specks > 0.97] = 255
    Image.fromarray(pixels).save(path)

train = load_image_folder(root, subset="train")
test = load_image_folder(root, subset="test")
print(len(train.paths), "training images,", len(test.paths), "test images:",
      train.target_names)

# %%
# The variants, on one image
# --------------------------
# :class:`~toonsklearn.ImageFolderLoader` decodes the files at 64×64 pixels; its
# ``resize`` says how a 64×96 frame gets there. ``"stretch"`` ignores the aspect ratio
# (here that undoes the broadcast's distortion), ``"pad"`` keeps it and adds black bars
# above and below, and ``"crop"`` keeps it and cuts off the sides.
# :class:`~toonsklearn.ImageTransformer` with ``denoise="median"`` then replaces each
# pixel by the median of its 3×3 neighbourhood, which removes isolated specks but also
# thin lines such as whiskers.
import matplotlib.pyplot as plt

from toonsklearn import ImageFolderLoader, ImageTransformer

RESIZE_MODES = ["stretch", "pad", "crop"]
DENOISE = [None, "median"]
example = train.paths[:1]
fig, axes = plt.subplots(2, 4, figsize=(8, 4.4), layout="constrained")
axes[0, 0].imshow(Image.open(example[0]))
axes[0, 0].set_title("file, 64×96", fontsize=9)
axes[1, 0].remove()
for column, resize in enumerate(RESIZE_MODES, start=1):
    decoded = ImageFolderLoader(size=(64, 64), resize=resize).fit_transform(example)
    for row, denoise in enumerate(DENOISE):
        image = ImageTransformer(denoise=denoise).fit_transform(decoded)[0]
        axes[row, column].imshow(image)
        axes[row, column].set_title(f"{resize}, denoise={denoise}", fontsize=9)
for ax in axes.ravel():
    ax.axis("off")
plt.show()

# %%
# The pipeline and the grid
# -------------------------
# The model at the end is a :class:`~toonsklearn.TransferClassifier`: a frozen
# EfficientNet-Lite0 (its ImageNet weights install with pip) and a new head. Frozen, the
# backbone only turns each image into features, once per fit, and ``memory=`` caches
# them by image content: each variant's pixels go through the backbone once for all the
# folds and the final refit, and only the small head trains every time.
#
# In a Pipeline, each step's parameters are reached by the step's name and a double
# underscore, so the grid's six candidates are three resize modes times two denoise
# settings.
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from toonsklearn import TransferClassifier

pipe = make_pipeline(
    ImageFolderLoader(size=(64, 64)),
    ImageTransformer(),
    TransferClassifier(input_size=(64, 64), epochs=20, memory=Path(folder, "features"),
                       random_state=0, verbose=0),
)
param_grid = {"imagefolderloader__resize": RESIZE_MODES,
              "imagetransformer__denoise": DENOISE}
search = GridSearchCV(pipe, param_grid, cv=3)
search.fit(train.paths, train.target)
print("best:", search.best_params_)
print("test accuracy of the best pipeline:", round(search.score(test.paths, test.target), 3))

# %%
# The results
# -----------
# ``cv_results_`` holds one row per candidate: its parameters, the accuracy on each
# held-out fold, their mean and standard deviation, and the rank.
import pandas as pd

results = pd.DataFrame(search.cv_results_)
results = results.rename(columns=lambda name: name.removeprefix("param_").split("__")[-1])
results["denoise"] = results["denoise"].fillna("none")
table = results[["resize", "denoise", "mean_test_score", "std_test_score", "rank_test_score",
                 "mean_fit_time"]].sort_values("rank_test_score")
print(table.round(3).to_string(index=False))

# %%
# As a bar chart, each bar the mean accuracy over the three folds and the error bar
# one standard deviation:
order = {"index": RESIZE_MODES, "columns": ["none", "median"]}
means = results.pivot(index="resize", columns="denoise", values="mean_test_score")
stds = results.pivot(index="resize", columns="denoise", values="std_test_score")
ax = means.reindex(**order).plot.bar(yerr=stds.reindex(**order), capsize=3, rot=0,
                                     figsize=(6, 4))
ax.set_ylabel("mean cross-validated accuracy")
ax.set_xlabel("resize")
ax.set_ylim(0, 1)
ax.axhline(1 / len(train.target_names), color="grey", linestyle=":", label="chance")
ax.legend(title="denoise", loc="upper left")
plt.show()

# %%
# Here the resize mode matters far more than the median filter, and the ranking follows
# the size at which the characters reach the backbone: ``"crop"`` keeps the full height
# of the frame and shows them largest (at the risk of cutting off one that stands near
# an edge, as in the preview above), ``"pad"`` shrinks the whole frame into the square
# and shows them smallest, and undoing the distortion with ``"stretch"`` does not make
# up for the smaller size. The median filter's effect is smaller and not the same for
# each resize mode: it removes the specks, but also the eyes and thin lines the
# characters differ by. With three folds of a few hundred images, differences of a few
# points are within the spread over the folds (the error bars).
#
# ``best_estimator_`` is the whole Pipeline, refitted on all the training images with
# the best parameters: it takes file paths, as the search did. See
# :ref:`preprocessing` for what each :class:`~toonsklearn.ImageTransformer` step does,
# and :ref:`hyperparameter_search` for other ways to search.
