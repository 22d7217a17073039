"""The model card on the command line: ``evaluate --report-dir`` and ``--card-into``
(toonsklearn/cli/_commands.py), and ``info`` (toonsklearn/cli/_info.py)."""

import shutil
from pathlib import Path

from PIL import Image

from tests.cli.conftest import error_line, needs_safe_keras
from toonsklearn.cli import main


@needs_safe_keras
def test_evaluate_writes_a_model_card_and_a_reliability_diagram(trained, toon_tree,
                                                               tmp_path, capsys):
    model, _ = trained
    report = tmp_path / "report"
    assert main(["evaluate", str(model), str(toon_tree), "--report-dir", str(report)]) == 0
    out = capsys.readouterr().out
    ece = next(line for line in out.splitlines() if line.startswith("Expected calibration"))
    assert out.index("precision") < out.index(ece)  # after the classification report
    assert "over 9 images, 15 bins" in ece
    assert out.splitlines()[-1] == (f"Saved confusion_matrix.png, learning_curves.png, "
                                    f"misclassified.png, reliability.png, model_card.md in "
                                    f"{report}.")
    with Image.open(report / "reliability.png") as image:
        assert image.format == "PNG" and min(image.size) > 100
    card = (report / "model_card.md").read_text(encoding="utf-8")
    assert card.startswith("# Model card: CNNClassifier")
    assert f"- Source: {Path(toon_tree) / 'test'}." in card and "- Test images: 9." in card
    assert "- Classes: jerry, tom." in card
    assert ece.split()[4] in card  # the same ECE, to three decimals
    limits = card.split("## Limits")[1]
    assert "Fewer than 20 test images" in limits and "jerry (" in limits


@needs_safe_keras
def test_card_into_stores_the_card_and_info_prints_it(trained, toon_tree, tmp_path, capsys):
    model, _ = trained
    copy = tmp_path / "with_card.toonsklearn"
    assert main(["evaluate", str(model), str(toon_tree), "--card-into", str(copy)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"Stored the model card in {copy}; toonsklearn info {copy} shows it.")
    assert main(["info", str(copy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{copy}: a toonsklearn model file (format 1).\n")
    assert "Estimator: CNNClassifier (toonsklearn.estimators._cnn.CNNClassifier)" in out
    assert "Classes (2): jerry, tom" in out and "Input size: 16 x 16 x 3" in out
    assert "Written with: toonsklearn " in out
    card = out.split("Model card:\n\n")[1]
    assert card.startswith("# Model card: CNNClassifier") and "- Test images: 9." in card


@needs_safe_keras
def test_card_into_the_model_itself_updates_it_in_place(trained, toon_tree, tmp_path,
                                                        capsys):
    model = shutil.copy(trained[0], tmp_path / "mine.toonsklearn")
    assert main(["info", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == (
        f"No model card stored. Store one with: toonsklearn evaluate {model} DATA_DIR "
        f"--card-into {model}")
    assert main(["evaluate", str(model), str(toon_tree), "--card-into", str(model)]) == 0
    capsys.readouterr()
    assert main(["info", str(model)]) == 0
    assert "Model card:\n\n# Model card: CNNClassifier" in capsys.readouterr().out


def test_card_into_a_folder_is_refused_before_any_work(trained, toon_tree, tmp_path,
                                                      capsys):
    assert main(["evaluate", str(trained[0]), str(toon_tree), "--card-into",
                 str(tmp_path)]) == 1
    assert "--card-into" in error_line(capsys) and list(tmp_path.iterdir()) == []


def test_info_on_a_missing_or_foreign_file_is_one_error_line(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.toonsklearn")]) == 1
    assert error_line(capsys) == (f"toonsklearn info: error: No saved model at "
                                  f"'{tmp_path / 'missing.toonsklearn'}': the file does not "
                                  "exist.")
    text = tmp_path / "notes.toonsklearn"
    text.write_text("not a model")
    assert main(["info", str(text)]) == 1
    assert "is not a toonsklearn model file: it is not a zip archive" in error_line(capsys)


@needs_safe_keras
def test_a_multilabel_models_card_gives_each_labels_threshold(multilabel_model,
                                                              multilabel_tree, tmp_path,
                                                              capsys):
    test = Path(multilabel_tree) / "test"
    assert main(["evaluate", str(multilabel_model[0]), str(test), "--labels-csv",
                 str(test / "ground_truth.csv"), "--report-dir", str(tmp_path)]) == 0
    assert "image-label pairs, 15 bins" in capsys.readouterr().out
    card = (tmp_path / "model_card.md").read_text(encoding="utf-8")
    assert "multi-label classification, 2 labels" in card
    assert f"- Source: {test / 'ground_truth.csv'} (images under {test})." in card
    thresholds = card.split("## Decision thresholds")[1].split("##")[0]
    assert "| jerry | 0.500 |" in thresholds and "| tom | 0.500 |" in thresholds
    assert (tmp_path / "reliability.png").is_file()


def test_info_shows_control_characters_as_escapes(tmp_path, capsys):
    from toonsklearn import CNNClassifier, io
    from toonsklearn.datasets import make_toons

    X, _ = make_toons(8, image_size=8, random_state=0)
    names = ["\x1b[2Jtom", "jerry\nevil"]
    clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, names * 4)
    path = tmp_path / "odd.toonsklearn"
    io.save(clf, path, card="# Card\n\x1b]52;c;cHduZWQ=\x07 copied\n")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Classes (2): \\x1b[2Jtom, jerry\\nevil" in out
    assert out.rstrip().endswith("\\x1b]52;c;cHduZWQ=\\x07 copied")
