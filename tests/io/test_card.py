"""A model card and a summary in a saved file: ``save(card=)``, ``describe`` and
``store_card`` (toonsklearn/io/_describe.py, _summary.py), checked like every member."""

import json
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from tests.io.conftest import needs_safe_keras, retarget_manifest, rewrite
from tests.keras_helpers import toons
from toonsklearn import CNNClassifier, ImageTransformer
from toonsklearn.exceptions import ModelFileError, NotSavableError
from toonsklearn.io import describe, load, save, store_card

CARD = "# Model card: CNNClassifier\n\nTom and Jerry, 9 test images. Ünïcödé: ✓\n"


@pytest.fixture(scope="module")
def pipe():
    X, y = toons(n=16, size=8)  # y: "jerry" and "tom"
    model = make_pipeline(ImageTransformer(), CNNClassifier(
        filters=(4,), dense_units=8, epochs=1, validation_fraction=0.0, early_stopping=None,
        random_state=0))
    return model.fit(X, y), X


@pytest.fixture(scope="module")
def with_card(pipe, tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "toons.toonsklearn"
    save(pipe[0], path, card=CARD)
    return path


def manifest_of(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def test_describe_returns_the_card_and_the_summary_without_building(with_card):
    about = describe(with_card)
    assert about["card"] == CARD
    assert about["format_version"] == 1 and about["object"] == "sklearn.pipeline.Pipeline"
    assert about["summary"] == {
        "estimator": "CNNClassifier",
        "estimator_type": "toonsklearn.estimators._cnn.CNNClassifier",
        "steps": [["imagetransformer", "ImageTransformer"],
                  ["cnnclassifier", "CNNClassifier"]],
        "n_classes": 2, "classes": ["jerry", "tom"], "multilabel": False,
        "input_size": [8, 8, 3], "epochs_trained": 1}
    assert {"toonsklearn", "keras", "scikit-learn"} <= set(about["versions"])
    assert about["untrusted_types"] == []
    entry = manifest_of(with_card)["members"]["model_card.md"]
    assert entry["size"] == len(CARD.encode("utf-8")) and len(entry["sha256"]) == 64


@needs_safe_keras
def test_a_file_with_a_card_still_loads_and_predicts(pipe, with_card):
    model, X = pipe
    np.testing.assert_allclose(load(with_card).predict_proba(X), model.predict_proba(X),
                               rtol=1e-5)


def test_a_file_without_a_card_is_as_before(pipe, tmp_path):
    save(pipe[0], tmp_path / "plain.toonsklearn")
    with zipfile.ZipFile(tmp_path / "plain.toonsklearn") as archive:
        assert sorted(archive.namelist()) == ["estimator.skops", "keras/0.keras",
                                              "manifest.json"]
    about = describe(tmp_path / "plain.toonsklearn")
    assert about["card"] is None and about["summary"]["classes"] == ["jerry", "tom"]


@needs_safe_keras
def test_a_file_saved_before_summaries_is_described_by_its_type_and_loads(with_card,
                                                                          tmp_path):
    def drop_summary(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        del manifest["summary"]
        return json.dumps(manifest)

    old = rewrite(with_card, tmp_path / "old.toonsklearn", drop_summary)
    about = describe(old)
    assert about["summary"] is None and about["object"] == "sklearn.pipeline.Pipeline"
    assert about["card"] == CARD
    assert type(load(old)).__name__ == "Pipeline"


@needs_safe_keras
def test_an_altered_card_is_refused_like_any_member(with_card, tmp_path):
    swapped = CARD.replace("Tom", "Tim").encode("utf-8")  # same size, other digest
    altered = rewrite(with_card, tmp_path / "altered.toonsklearn",
                      lambda name, data: swapped if name == "model_card.md" else data)
    for read in (describe, load):
        with pytest.raises(ModelFileError, match="'model_card.md' does not match its SHA-256"):
            read(altered)
    longer = rewrite(with_card, tmp_path / "longer.toonsklearn",
                     lambda name, data: data + b"!" if name == "model_card.md" else data)
    with pytest.raises(ModelFileError, match="'model_card.md' is not the size its manifest"):
        describe(longer)
    bad_text = {"model_card.md": b"\xff\xfe not text"}  # checksums rewritten to agree
    not_utf8 = rewrite(with_card, tmp_path / "binary.toonsklearn",
                       lambda name, data: retarget_manifest(name, data, bad_text))
    with pytest.raises(ModelFileError, match="model_card.md is not UTF-8 text"):
        describe(not_utf8)


def test_a_card_the_manifest_does_not_list_is_refused(pipe, tmp_path):
    save(pipe[0], tmp_path / "plain.toonsklearn")
    with zipfile.ZipFile(tmp_path / "plain.toonsklearn", "a") as archive:
        archive.writestr("model_card.md", "# slipped in")
    with pytest.raises(ModelFileError, match="holds 'model_card.md', which its manifest "
                                             "does not list"):
        describe(tmp_path / "plain.toonsklearn")


def test_a_malformed_summary_is_refused(with_card, tmp_path):
    def bad_summary(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["summary"]["classes"] = {"jerry": 1}
        return json.dumps(manifest)

    bad = rewrite(with_card, tmp_path / "bad.toonsklearn", bad_summary)
    with pytest.raises(ModelFileError, match="summary's classes are not a list of names"):
        describe(bad)


def test_store_card_copies_the_model_byte_for_byte(with_card, tmp_path):
    out = tmp_path / "copy.toonsklearn"
    store_card(with_card, "# another card\n", out=out)
    assert describe(out)["card"] == "# another card\n"
    with zipfile.ZipFile(with_card) as old, zipfile.ZipFile(out) as new:
        for name in ("estimator.skops", "keras/0.keras"):
            assert new.read(name) == old.read(name)
    before, after = manifest_of(with_card), manifest_of(out)
    assert {k: v for k, v in after.items() if k != "members"} == {
        k: v for k, v in before.items() if k != "members"}
    store_card(out, None)  # in place: the card goes
    assert describe(out)["card"] is None
    assert "model_card.md" not in zipfile.ZipFile(out).namelist()


def test_store_card_and_save_refuse_what_they_cannot_write(pipe, with_card, tmp_path):
    with pytest.raises(NotSavableError, match="it is a folder"):
        store_card(with_card, CARD, out=tmp_path)
    damaged = tmp_path / "damaged.toonsklearn"
    damaged.write_bytes(with_card.read_bytes()[:500])
    with pytest.raises(ModelFileError):
        store_card(damaged, CARD, out=tmp_path / "never.toonsklearn")
    with pytest.raises(NotSavableError, match="card must be a str of Markdown"):
        save(pipe[0], tmp_path / "never.toonsklearn", card=b"# bytes")
    with pytest.raises(NotSavableError, match="which UTF-8 cannot encode"):
        save(pipe[0], tmp_path / "never.toonsklearn", card="toons/\udcff.png")
    assert not (tmp_path / "never.toonsklearn").exists()
