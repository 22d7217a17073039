"""Draw the README's picture: a TransferClassifier trained on 40 toons per class, its
confusion matrix, and the test images it gets most confidently wrong, each under a
Grad-CAM heat map of the evidence for the class it predicted.

Usage: python docs/readme_figure.py [OUTPUT]   (default docs/_static/readme_figure.png;
about a minute on 2 cores, no download: the backbone's weights ship with pip)
"""

import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from toonsklearn import TransferClassifier, load_image_folder  # noqa: E402
from toonsklearn.datasets import make_toons  # noqa: E402
from toonsklearn.plotting import ConfusionDisplay, MisclassifiedDisplay  # noqa: E402


def main() -> None:
    output = sys.argv[1] if len(sys.argv) > 1 else "docs/_static/readme_figure.png"
    with tempfile.TemporaryDirectory() as folder:
        root = make_toons(1000, image_size=64, random_state=0, directory=folder)
        train = load_image_folder(root, subset="train")
        test = load_image_folder(root, subset="test")
        few = np.concatenate([np.flatnonzero(train.target == c)[:40] for c in (0, 1)])
        names = np.asarray(train.target_names)
        clf = TransferClassifier(random_state=0).fit(train.paths[few], names[train.target[few]])
        truth = names[test.target]
        figure = plt.figure(figsize=(11, 4.6), layout="constrained")
        left, right = figure.subfigures(1, 2, width_ratios=[1, 1.9])
        ConfusionDisplay.from_estimator(clf, test.paths, truth, ax=left.subplots(),
                                        colorbar=False)
        left.suptitle(f"Test accuracy {clf.score(test.paths, truth):.3f} "
                      "(40 training toons per class)", fontsize="medium")
        MisclassifiedDisplay.from_estimator(clf, test.paths, truth, n_images=6, gradcam=True,
                                            ax=right.subplots(2, 3))
        right.suptitle("Most confidently wrong, with Grad-CAM of the predicted class",
                       fontsize="medium")
        figure.savefig(output, dpi=72)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
