"""
=======================================
Augmentation policies and what they buy
=======================================

Augmentation shows the network a new random variant of every training image each
epoch: flipped, rotated, zoomed, shifted, with other contrast and brightness. This
example previews the named policies of :data:`~toonsklearn.augment.POLICIES` with
:class:`~toonsklearn.plotting.AugmentationDisplay`, then trains the same model on a
small training set without augmentation and with each policy, and compares their
accuracy on the training and on held-out images.
"""

# %%
# A small training set
# --------------------
# Six characters of :func:`~toonsklearn.datasets.make_toons`, with only about thirty
# training images each: few enough that a model can learn them by heart.
from sklearn.model_selection import train_test_split

from toonsklearn.datasets import make_toons

X, y = make_toons(700, task="multiclass", n_classes=6, image_size=64, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=200, stratify=y,
                                                    random_state=0)
print(X_train.shape, X_test.shape)

# %%
# The policies
# ------------
# ``augment=`` takes the name of a policy or a dict of the same form. Each key becomes
# a Keras preprocessing layer at the start of the model, with its factor in the units
# that layer takes: a fraction of a full turn for ``rotation``, of the image's size for
# ``zoom`` and ``translation``, of the pixel range for ``contrast`` and ``brightness``.
from toonsklearn.augment import POLICIES

for name, policy in POLICIES.items():
    print(f"{name}: {policy}")

# %%
# We compare no augmentation, horizontal flips alone (a dict of our own), and the two
# named policies.
POLICY_CHOICES = {"none": None, "flip": {"flip": "horizontal"}, "light": "light",
                  "strong": "strong"}

# %%
# What the network sees
# ---------------------
# :class:`~toonsklearn.plotting.AugmentationDisplay` applies an estimator's policy to a
# few images, several times each, in training mode: each row starts with the image as
# the model takes it, followed by random draws. The estimator need not be fitted.
import matplotlib.pyplot as plt
from sklearn.base import clone

from toonsklearn import TransferClassifier
from toonsklearn.plotting import AugmentationDisplay

model = TransferClassifier(input_size=(64, 64), epochs=30, learning_rate=3e-3,
                           validation_fraction=0, early_stopping=None, random_state=0,
                           verbose=0)
for name in ("light", "strong"):
    display = AugmentationDisplay.from_estimator(
        clone(model).set_params(augment=POLICY_CHOICES[name]), X_train, n_images=3, n_draws=5,
        random_state=0)
    display.figure_.suptitle(f"augment={name!r}")
plt.show()

# %%
# ``"light"`` keeps every draw close to the original; ``"strong"`` also shifts the
# image and changes its contrast and brightness. On pictures this small, every rotation
# and zoom resamples the pixels, which softens the thin outlines (compare the draws with
# the originals).
#
# Training with each policy
# -------------------------
# The model is a :class:`~toonsklearn.TransferClassifier`: a new head on a frozen
# EfficientNet-Lite0, whose ImageNet weights install with pip. Without augmentation
# the backbone runs once over the images and only the head trains on its features;
# with augmentation every epoch brings new pixels, so the backbone runs every epoch and
# the fit takes longer. Everything but ``augment`` is the same in every fit, including
# the seed.
import pandas as pd

rows = []
for name, augment in POLICY_CHOICES.items():
    fitted = clone(model).set_params(augment=augment).fit(X_train, y_train)
    rows.append({"policy": name,
                 "training images": fitted.score(X_train, y_train),
                 "test images": fitted.score(X_test, y_test)})
scores = pd.DataFrame(rows).set_index("policy")
scores["gap"] = scores["training images"] - scores["test images"]
print(scores.round(3))

# %%
# Accuracy on the training images (as they are, not augmented) and on the held-out test
# images:
ax = scores[["training images", "test images"]].plot.bar(rot=0, figsize=(7, 4))
ax.set_ylabel("accuracy")
ax.set_xlabel("augment")
ax.set_ylim(0, 1)
ax.axhline(1 / len(set(y)), color="grey", linestyle=":", label="chance")
ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
ax.figure.tight_layout()
plt.show()

# %%
# What the comparison shows
# -------------------------
# The stronger the policy, the lower the accuracy on the training images: shown new
# variants every epoch, the head can no longer learn the 200 images by heart, and with
# ``"light"`` and ``"strong"`` the gap between training and test accuracy narrows. On
# the test images, though, no policy does clearly better here than no augmentation,
# and ``"strong"`` does worst.
#
# That is no verdict on augmentation, but a reason to measure it on your own data.
# Here the backbone is frozen, so augmentation can only teach the small head on top of
# features the backbone computes the same way as before, and 30 epochs are a short
# time to learn from new variants. Augmentation usually pays off where the network's
# own features learn, as in a :class:`~toonsklearn.CNNClassifier` trained from scratch
# or a backbone fine-tuned with ``fine_tune_layers``, over many more epochs than this
# page can afford on a CPU. Whichever the model, a policy should only vary what varies
# among the real images. ``augment`` can be searched like any other hyperparameter
# (:ref:`hyperparameter_search`), and :ref:`preprocessing` explains why augmentation
# lives in the estimator rather than in a transformer.
