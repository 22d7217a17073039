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


def test_demo_checks_its_options_before_creating_anything(tmp_path, capsys):
    import pytest

    out = tmp_path / "nested" / "demo"
    for option, value in [("--n-samples", "0"), ("--n-samples", "5"), ("--image-size", "0"),
                          ("--epochs", "0")]:
        with pytest.raises(SystemExit) as usage:
            main(["demo", option, value, "--output", str(out)])
        assert usage.value.code == 2
        assert f"{option}: must be" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("")
    assert main(["demo", "--n-samples", "20", "--output", str(tmp_path / "a_file" / "x")]) == 1
    assert "--output" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # nothing was created
