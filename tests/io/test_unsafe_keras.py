"""On a Keras whose safe_mode a crafted file can bypass, loading is refused (CI's oldest
versions run has one); test_persist.py covers loading on the others."""

import keras
import pytest
from sklearn.linear_model import LogisticRegression

from toonsklearn.io import SAFE_KERAS, load, save


@pytest.mark.skipif(tuple(int(p) for p in keras.version().split(".")[:2]) >= SAFE_KERAS,
                    reason=f"Keras {keras.version()}'s safe_mode has no known bypass")
def test_loading_with_an_unsafe_keras_is_refused(tmp_path):
    path = tmp_path / "lr.toonsklearn"
    save(LogisticRegression(), path)
    with pytest.raises(ImportError, match="needs Keras 3.14 or later.*CVE-2025-1550"):
        load(path)
