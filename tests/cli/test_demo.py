"""``toonsklearn demo`` (toonsklearn/cli/_demo.py): the main job on built-in data, start to
finish."""

import numpy as np

from tests.cli.conftest import needs_safe_keras
from toonsklearn import CNNClassifier, TransferClassifier, load_image_folder
from toonsklearn.cli import main


@needs_safe_keras
def test_demo_reports_and_saves_working_pipelines_as_safe_files(tmp_path, capsys, toon_tree):
    from toonsklearn.io import load

    assert main(["demo", "--n-samples", "60", "--image-size", "16", "--epochs", "2",
                 "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pixel LogisticRegression" in out and "Epoch 2/2" in out
    for line in ("CNNClassifier, all training images", "TransferClassifier, all training images",
                 "CNNClassifier, 21 per class", "TransferClassifier, 21 per class"):
        # each fit is announced before it runs, then scored
        announced = out.index(f"{line}: fitting on ")
        assert announced < out.index(f"{line}: scoring ") < out.index(f"{line}  ")
    assert "CNNClassifier, all training images: fitting on 42 images ..." in out
    assert "TransferClassifier, 21 per class: fitting on 42 images ..." in out
    assert ("its val_loss and val_accuracy are on the early-stopping split, 5 of the 42 "
            "training images held out inside the fit (not the test images)") in out
    assert "computing backbone features of 42 images once" in out
    assert "precision" in out and "jerry" in out and "tom" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toons_pipeline.toonsklearn",
                                                          "toons_transfer.toonsklearn"]
    saved = tmp_path / "toons_pipeline.toonsklearn"
    assert str(saved) in out and "toonsklearn.io.load" in out
    pipe = load(saved)  # the safe format: io.load refuses a pickle
    assert isinstance(pipe[-1], CNNClassifier)
    paths = load_image_folder(toon_tree, subset="test").paths
    assert set(np.unique(pipe.predict(paths))) <= {0, 1}
    assert isinstance(load(tmp_path / "toons_transfer.toonsklearn")[-1], TransferClassifier)


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
