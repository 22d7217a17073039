"""``toonsklearn demo`` (toonsklearn/cli/_demo.py): the main job on built-in data, start to
finish."""

import joblib
import numpy as np

from toonsklearn import CNNClassifier, load_image_folder
from toonsklearn.cli import main


def test_demo_reports_and_saves_a_working_cnn_pipeline(tmp_path, capsys, toon_tree):
    assert main(["demo", "--n-samples", "60", "--image-size", "16", "--epochs", "2",
                 "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pixel LogisticRegression" in out and "Epoch 2/2" in out
    for line in ("CNNClassifier, all training images", "TransferClassifier, all training images",
                 "CNNClassifier, 21 per class", "TransferClassifier, 21 per class"):
        assert line in out
    assert (tmp_path / "toons_transfer.joblib").is_file()
    assert "precision" in out and "jerry" in out and "tom" in out
    saved = tmp_path / "toons_pipeline.joblib"
    assert str(saved) in out
    pipe = joblib.load(saved)
    assert isinstance(pipe[-1], CNNClassifier)
    paths = load_image_folder(toon_tree, subset="test").paths
    assert set(np.unique(pipe.predict(paths))) <= {0, 1}
