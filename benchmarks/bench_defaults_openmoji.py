"""Do the defaults work on real drawings nobody here tuned them on?

Fits ``CNNClassifier()`` and ``TransferClassifier()`` with their default parameters, in
path mode, on the OpenMoji drawings (9 emoji groups, 64x64; CC BY-SA 4.0, (c) OpenMoji,
openmoji.org) and prints test accuracy beside a pixel LogisticRegression and the
majority class.

Usage: python benchmarks/bench_defaults_openmoji.py [path/to/openmoji64]
       (default ../shared/data/openmoji64; the data is not part of the package)
"""

import sys
import time

from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from toonsklearn import (
    CNNClassifier,
    ImageFolderLoader,
    ImageTransformer,
    TransferClassifier,
    load_image_folder,
)


def main(root: str) -> None:
    data = load_image_folder(root)
    X_train, X_test, y_train, y_test = train_test_split(
        data.paths, data.target, test_size=0.25, stratify=data.target, random_state=0)
    names = data.target_names
    majority = DummyClassifier().fit(X_train, y_train).score(X_test, y_test)
    pixels = make_pipeline(ImageFolderLoader(size=(32, 32)),
                           ImageTransformer(normalize="scale", flatten=True),
                           LogisticRegression(C=0.01, max_iter=2000)).fit(X_train, y_train)
    print(f"{len(data.paths)} OpenMoji drawings, {len(names)} groups, "
          f"{len(X_train)} train / {len(X_test)} test")
    print(f"majority class {majority:.3f}   pixel LogisticRegression "
          f"{pixels.score(X_test, y_test):.3f}")
    for model in (CNNClassifier(input_size=(64, 64), random_state=0),
                  TransferClassifier(random_state=0)):
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        predicted = model.predict(X_test)
        print(f"{type(model).__name__}() defaults: test accuracy "
              f"{accuracy_score(y_test, predicted):.3f} ({len(model.history_)} epochs, "
              f"{seconds:.0f}s)")
        print(classification_report(y_test, predicted, target_names=names, zero_division=0))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/openmoji64")
