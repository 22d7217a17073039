"""Write ``pickled_estimators.pkl``: estimators fitted and pickled by toonsklearn 0.1.0.dev0
before its estimators became a package (commit 64ef24d), with what they predicted.

Made with the versions in ``.ci/oldest.txt``, so that both CI runs (oldest and newest
versions) can read it; ``tests/test_pickle_compat.py`` loads it. Not run by the tests.
Usage: python tests/data/make_pickled_estimators.py
"""

import pickle
from pathlib import Path

import keras
import sklearn

import toonsklearn
from toonsklearn import CNNClassifier, MultiLabelCNN
from toonsklearn.datasets import make_toons

TINY = dict(filters=(4,), convs_per_block=1, epochs=2, batch_size=8, validation_fraction=0.0,
            early_stopping=None, random_state=0)


def main() -> None:
    X, y = make_toons(24, image_size=8, random_state=0)
    X_multi, Y = make_toons(24, task="multilabel", image_size=8, random_state=0)
    cnn = CNNClassifier(**TINY).fit(X, y)
    multi = MultiLabelCNN(**TINY).fit(X_multi, Y)
    fixture = {
        "versions": {"toonsklearn": toonsklearn.__version__, "keras": keras.__version__,
                     "scikit-learn": sklearn.__version__},
        "cnn": pickle.dumps(cnn), "X": X, "proba": cnn.predict_proba(X),
        "multi": pickle.dumps(multi), "X_multi": X_multi,
        "proba_multi": multi.predict_proba(X_multi),
    }
    path = Path(__file__).with_name("pickled_estimators.pkl")
    path.write_bytes(pickle.dumps(fixture))
    print(f"wrote {path} ({path.stat().st_size:,} bytes) with {fixture['versions']}")


if __name__ == "__main__":
    main()
