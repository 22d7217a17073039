"""
=====================================================
Auditing toons: copies, a leaking split, wrong labels
=====================================================

Frames cut from an episode come in runs of near-identical shots, and labels typed by
hand over thousands of frames are wrong in places. This example builds such a dataset
from :func:`~toonsklearn.datasets.make_toons`, with every drawing present as a few
"frames" (shifted, resized, recompressed, brightened) and one label in twenty flipped,
then finds the copies with :func:`~toonsklearn.inspection.find_duplicates`, shows how
much a random split's score owes to them, and ranks the labels with
:func:`~toonsklearn.inspection.find_label_issues`.
"""

# %%
# A dataset of shots
# ------------------
# 100 drawings of five characters, each followed by three frames of the same shot: a
# shift of a few pixels, a slight zoom, a JPEG recompression and a brighter copy. Then
# one label in twenty is flipped to another character, as a tired annotator would.
import io

import numpy as np
from PIL import Image, ImageEnhance

from toonsklearn.datasets import make_toons

n_shots, size = 100, 64
drawings, characters = make_toons(n_shots, task="characters", n_classes=5,
                                  image_size=size, random_state=0)


def frames_of(drawing, rng):
    """Three more frames of one shot: shifted, zoomed and recompressed, brighter."""
    image = Image.fromarray(drawing)
    dx, dy = rng.integers(1, 4, size=2)
    shifted = image.crop((dx, dy, size, size)).resize((size, size))
    zoomed = image.resize((size + 6, size + 6)).crop((3, 3, size + 3, size + 3))
    buffer = io.BytesIO()
    zoomed.save(buffer, format="JPEG", quality=75)
    recompressed = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    brighter = ImageEnhance.Brightness(image).enhance(1.12)
    return [np.asarray(frame) for frame in (shifted, recompressed, brighter)]


rng = np.random.default_rng(0)
X, y, shot = [], [], []
for number, (drawing, character) in enumerate(zip(drawings, characters, strict=True)):
    for frame in [drawing, *frames_of(drawing, rng)]:
        X.append(frame)
        y.append(character)
        shot.append(number)
X, y, shot = np.stack(X), np.array(y), np.array(shot)

flipped = rng.choice(len(y), size=len(y) // 20, replace=False)
true_y = y.copy()
for i in flipped:
    y[i] = rng.choice(np.setdiff1d(np.unique(true_y), [true_y[i]]))
print(f"{len(y)} images of {len(np.unique(y))} characters in {n_shots} shots; "
      f"{len(flipped)} labels flipped")

# %%
# Finding the copies
# ------------------
# By default the copies are found by their perceptual hashes: no backbone, no network,
# a fraction of a second for these images. Hashes see through resizing, recompression
# and brightness, but not through a shift of a few pixels, so they find part of each
# shot only.
from toonsklearn.inspection import duplicate_groups, find_duplicates


def describe(duplicates):
    groups = duplicates.groupby("group")["index"].apply(list)
    pure = sum(len(set(shot[members])) == 1 for members in groups)
    return (f"{len(groups)} groups holding {len(duplicates)} images, {pure} of them one "
            "shot each")


print("hashes:", describe(find_duplicates(X)))

# %%
# A pretrained backbone's embeddings see through shifts and crops. Given an
# :class:`~toonsklearn.embedding.ImageEmbedder`, ``find_duplicates`` compares both, and a
# pair is a copy when either similarity reaches the threshold. ``memory`` keeps each
# image's features, so the backbone runs once an image for everything below.
import os
import tempfile

from toonsklearn.embedding import ImageEmbedder

embedder = ImageEmbedder(memory=os.path.join(tempfile.mkdtemp(), "features"))
duplicates = find_duplicates(X, embedder=embedder)
print("hashes and embeddings:", describe(duplicates))
print(duplicates.head(8).to_string(index=False))

# %%
# Each row of the figure is one group, its first member first, captioned with how the
# copy matches it.
from toonsklearn.plotting import DuplicatesDisplay

display = DuplicatesDisplay.from_result(X, duplicates, max_groups=5)

# %%
# What a random split measures
# ----------------------------
# The same model, a logistic regression on the embeddings (the same embedder, so the
# features come from the cache), scored twice by 5-fold cross-validation: with folds
# drawn at random, and with folds that keep each group of copies on one side
# (:func:`~toonsklearn.inspection.duplicate_groups` gives the groups). A random split
# tests the model on frames of shots it has trained on.
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

groups = duplicate_groups(X, embedder=embedder)
model = make_pipeline(embedder, LogisticRegression(max_iter=1000))
random_split = cross_val_score(model, X, true_y,
                               cv=StratifiedKFold(5, shuffle=True, random_state=0))
group_split = cross_val_score(model, X, true_y, groups=groups,
                              cv=StratifiedGroupKFold(5, shuffle=True, random_state=0))
print(f"accuracy with a random split: {random_split.mean():.3f}")
print(f"accuracy with a group split:  {group_split.mean():.3f}")

# %%
# Labels that look wrong
# ----------------------
# :func:`~toonsklearn.inspection.find_label_issues` cross-validates the same model
# (with the group split, so that a frame's copies cannot vouch for its label), and
# cleanlab's confident learning flags the labels its out-of-fold probabilities
# contradict, the least likely first.
from toonsklearn.inspection import find_label_issues

issues = find_label_issues(model, X, y, cv=StratifiedGroupKFold(5).split(X, y, groups=groups))
flagged = issues.loc[issues["is_issue"], "index"].to_numpy()
top = issues["index"].to_numpy()[: len(y) // 10]
print(f"{len(flagged)} labels flagged; {np.isin(flipped, flagged).sum()} of the "
      f"{len(flipped)} flipped labels among them, "
      f"{np.isin(flipped, top).sum()} in the lowest tenth of the ranking")
print(issues.head(5)[["index", "given_label", "suggested_label", "label_quality"]]
      .to_string(index=False))

# %%
# The images most likely mislabelled, with the label given and the one suggested.
from toonsklearn.plotting import LabelIssuesDisplay

display = LabelIssuesDisplay.from_result(X, issues, max_images=8)
