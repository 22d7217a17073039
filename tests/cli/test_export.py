"""``toonsklearn export`` (toonsklearn/cli/_export.py): a saved model as a LiteRT or ONNX
file, checked in its own runtime."""

import json

import numpy as np
import pytest

from tests.cli.conftest import error_line, needs_safe_keras
from toonsklearn import io
from toonsklearn.cli import main
from toonsklearn.loaders import ImageFolderLoader

pytest.importorskip("onnxruntime", reason="the export extra runs these")
pytest.importorskip("ai_edge_litert", reason="the export extra runs these")


@needs_safe_keras
@pytest.mark.parametrize("name, format", [("toons.tflite", "litert"), ("toons.onnx", "onnx")])
def test_export_writes_a_file_that_predicts_what_the_model_does(name, format, trained,
                                                                toon_tree, tmp_path, capsys):
    from toonsklearn.export import load_exported

    model, _ = trained
    out = tmp_path / name
    assert main(["export", str(model), str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"to {out} ({format})" in printed and "jerry, tom" in printed
    metadata = json.loads((tmp_path / "toons.json").read_text())
    assert metadata["format"] == format and metadata["classes"] == ["jerry", "tom"]
    pipe = io.load(model)
    paths = np.array(sorted(str(p) for p in (toon_tree / "test").rglob("*.png")))
    size = metadata["input"]["shape"][1:3]
    pixels = ImageFolderLoader(size=tuple(size)).transform(paths)
    np.testing.assert_allclose(load_exported(out).predict_proba(pixels),
                               pipe.predict_proba(paths), atol=1e-4)


@needs_safe_keras
def test_an_out_name_without_a_known_suffix_needs_format(trained, tmp_path, capsys):
    model, _ = trained
    assert main(["export", str(model), str(tmp_path / "toons.bin")]) == 1
    assert "--format litert|onnx" in error_line(capsys)
    assert list(tmp_path.iterdir()) == []
    assert main(["export", str(model), str(tmp_path / "toons.bin"), "--format", "onnx"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toons.bin", "toons.json"]


@needs_safe_keras
def test_out_may_not_be_the_model_nor_contradict_format(trained, tmp_path, capsys):
    model, _ = trained
    before = model.read_bytes()
    assert main(["export", str(model), str(model), "--format", "onnx"]) == 1
    assert "is MODEL itself" in error_line(capsys)
    assert model.read_bytes() == before
    assert main(["export", str(model), str(tmp_path / "m.onnx"), "--format", "litert"]) == 1
    assert "--format litert contradicts" in error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_model_is_one_error_line_and_writes_nothing(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.toonsklearn"),
                 str(tmp_path / "m.onnx")]) == 1
    assert "missing.toonsklearn" in error_line(capsys)
    assert list(tmp_path.iterdir()) == []
