"""The file save writes (toonsklearn/io/_archive.py): a zip of stored members and a manifest
of their sizes and SHA-256; a file that is not ours, whole and unaltered is refused by
what is wrong before any member is read; the file is replaced whole, as the umask
allows."""

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import joblib
import keras
import pytest
from sklearn.linear_model import LogisticRegression

from tests.conftest import REPO_ROOT
from tests.io.conftest import (
    flagged,
    needs_safe_keras,
    retarget_manifest,
    rewrite,
    walk,
    with_keras_part,
)
from toonsklearn.exceptions import ModelFileError, NotSavableError
from toonsklearn.io import load, save

pytestmark = needs_safe_keras


def test_the_manifest_says_what_is_where_and_with_which_versions(saved):
    with zipfile.ZipFile(saved["pipeline"][1]) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert manifest["format"] == "toonsklearn" and manifest["format_version"] == 1
    assert manifest["object"] == "sklearn.pipeline.Pipeline"
    assert {"toonsklearn", "scikit-learn", "keras", "skops", "numpy"} <= set(
        manifest["versions"])
    assert manifest["keras_models"] == [{"member": "keras/0.keras",
                                         "attribute": "Pipeline.steps[1][1].model_"}]
    assert set(manifest["members"]) == {"estimator.skops", "keras/0.keras"}


@pytest.mark.parametrize("content, message", [
    (b"", "not a zip archive"),
    (pickle.dumps({"a": 1}), "looks like a pickle"),
    (b"PK\x03\x04 not really", "not a zip archive"),
])
def test_a_file_that_is_no_archive_is_refused_by_name(tmp_path, content, message):
    path = tmp_path / "model.toonsklearn"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as caught:
        load(path)
    assert caught.value.path == str(path)


def test_a_joblib_file_is_refused_without_being_unpickled(saved, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(saved["cnn"][0], path)
    with pytest.raises(ModelFileError, match="not a zip archive.*pickle.*joblib.load"):
        load(path)


def test_a_truncated_file_is_refused(saved, tmp_path):
    data = saved["cnn"][1].read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        path = tmp_path / f"cut{cut}.toonsklearn"
        path.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="cut short|truncated|damaged"):
            load(path)


def test_a_zip_of_something_else_is_refused(tmp_path):
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    with pytest.raises(ModelFileError, match="no manifest.json"):
        load(path)


def test_a_changed_member_fails_its_checksum(saved, tmp_path):
    def flip(name, data):
        if name == "keras/0.keras":
            return data[:-200] + bytes([data[-200] ^ 1]) + data[-199:]
        return data

    path = rewrite(saved["cnn"][1], tmp_path / "flipped.toonsklearn", flip)
    with pytest.raises(ModelFileError, match="'keras/0.keras' does not match its SHA-256"):
        load(path)


def test_members_the_manifest_does_not_list_or_lacks_are_refused(saved, tmp_path):
    source = saved["cnn"][1]
    extra = tmp_path / "extra.toonsklearn"
    with zipfile.ZipFile(extra, "w") as new, zipfile.ZipFile(source) as old:
        for name in old.namelist():
            new.writestr(name, old.read(name))
        new.writestr("payload.py", "import os")
    with pytest.raises(ModelFileError, match="'payload.py', which its manifest does not list"):
        load(extra)
    missing = rewrite(source, tmp_path / "missing.toonsklearn",
                      lambda name, data: None if name == "keras/0.keras" else data)
    with pytest.raises(ModelFileError, match="lacks 'keras/0.keras'"):
        load(missing)


def test_a_compressed_member_is_refused_before_it_is_inflated(saved, tmp_path):
    path = tmp_path / "deflated.toonsklearn"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as new, \
            zipfile.ZipFile(saved["cnn"][1]) as old:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    with pytest.raises(ModelFileError, match="compressed, which save never does"):
        load(path)


@pytest.mark.parametrize("edit, message", [
    (lambda m: b"{not json", "manifest.json is malformed"),
    (lambda m: json.dumps({**m, "format": "other"}).encode(), "not a toonsklearn manifest"),
    (lambda m: json.dumps({k: v for k, v in m.items() if k != "members"}).encode(),
     "malformed"),
    (lambda m: json.dumps({**m, "format_version": 99}).encode(), "newer toonsklearn"),
    (lambda m: json.dumps({**m, "keras_models": [{"member": "nowhere"}]}).encode(),
     "names a Keras model it does not hold"),
    (lambda m: json.dumps({**m, "keras_models": m["keras_models"] * 3}).encode(),
     "names one member twice"),
    (lambda m: json.dumps({**m, "keras_models": 5}).encode(), "names a Keras model"),
    (lambda m: json.dumps({**m, "members": list(m["members"])}).encode(), "members is not"),
    (lambda m: json.dumps({**m, "versions": "keras"}).encode(), "versions is not a map"),
    (lambda m: b"[1, 2]", "not a JSON object"),
    (lambda m: b"[" * 100_000, "malformed"),  # too deep for the JSON reader
    (lambda m: json.dumps({**m, "format_version": 0}).encode(), "format_version of 1"),
    (lambda m: json.dumps({**m, "format_version": True}).encode(), "format_version of 1"),
])
def test_a_bad_manifest_is_refused_by_what_is_wrong(saved, tmp_path, edit, message):
    def change(name, data):
        return edit(json.loads(data)) if name == "manifest.json" else data

    path = rewrite(saved["cnn"][1], tmp_path / "edited.toonsklearn", change)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_a_huge_manifest_is_refused_unread(saved, tmp_path):
    path = rewrite(saved["cnn"][1], tmp_path / "huge.toonsklearn",
                   lambda name, data: data + b" " * (1 << 20) if name == "manifest.json"
                   else data)
    with pytest.raises(ModelFileError, match="far more than save writes"):
        load(path)


def test_a_skops_member_that_could_inflate_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved["cnn"][1]) as archive:
        inner = archive.read("estimator.skops")
    deflated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(inner)) as old, zipfile.ZipFile(
            deflated, "w", compression=zipfile.ZIP_BZIP2) as new:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    schema = json.loads(zipfile.ZipFile(io.BytesIO(inner)).read("schema.json"))
    array_file = next(node["file"] for node in walk(schema) if "file" in node)
    schema["content"]["repeated"] = [{"__class__": "ndarray", "__module__": "numpy",
                                      "__loader__": "NdArrayNode", "type": "numpy",
                                      "file": array_file}] * 50
    repeated = rewrite(io.BytesIO(inner), io.BytesIO(), lambda name, data: json.dumps(
        schema) if name == "schema.json" else data).getvalue()
    for content, message in ((deflated.getvalue(), "holds compressed members"),
                             (repeated, "several objects read one stored array")):
        members = {"estimator.skops": content}
        path = rewrite(saved["cnn"][1], tmp_path / "inflating.toonsklearn",
                       lambda name, data, members=members: retarget_manifest(name, data,
                                                                             members))
        with pytest.raises(ModelFileError, match=message):
            load(path)


def test_a_keras_member_that_is_no_keras_archive_or_inflates_is_refused(saved, tmp_path):
    model = tmp_path / "m.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(model)
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(model) as old, zipfile.ZipFile(
            deflated, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    for content, message in ((b"junk" * 100, "is not the archive save writes"),
                             (deflated.read_bytes(), "holds compressed members")):
        members = {"keras/0.keras": content}
        path = rewrite(saved["cnn"][1], tmp_path / "keras.toonsklearn",
                       lambda name, data, members=members: retarget_manifest(name, data,
                                                                             members))
        with pytest.raises(ModelFileError, match=f"'keras/0.keras' {message}"):
            load(path)


def test_a_failed_save_keeps_the_earlier_file_and_leaves_no_partial_one(saved, tmp_path):
    path = tmp_path / "model.toonsklearn"
    save(LogisticRegression(C=2.0), path)
    before = path.read_bytes()
    broken = LogisticRegression()
    broken.unsavable_ = (x for x in range(3))  # skops has no way to store a generator
    with pytest.raises(NotSavableError, match="skops cannot store"):
        save(broken, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.toonsklearn"]
    assert load(path).C == 2.0


def test_a_saved_file_is_readable_by_others_as_the_umask_allows(tmp_path):
    path = tmp_path / "shared.toonsklearn"
    old = os.umask(0o022)
    try:
        save(LogisticRegression(), path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def _nested(source, target, member, change):
    """A copy of ``source`` whose nested archive ``member`` is ``change(bytes)``."""
    with zipfile.ZipFile(source) as archive:
        members = {member: change(archive.read(member))}
    return rewrite(source, target, lambda name, data: retarget_manifest(name, data, members))


@pytest.mark.parametrize("fault", ["encrypted", "bad_name"])
@pytest.mark.parametrize("where, member", [
    ("outer", "estimator.skops"),
    ("estimator.skops", "schema.json"),
    ("keras/0.keras", "config.json"),
])
def test_a_member_flagged_encrypted_or_named_in_broken_utf8_is_refused(saved, tmp_path,
                                                                        where, member, fault):
    source, path = saved["cnn"][1], tmp_path / "flagged.toonsklearn"
    flags = {fault: True}
    if where == "outer":
        path.write_bytes(flagged(source.read_bytes(), member, **flags))
    else:
        _nested(source, path, where, lambda data: flagged(data, member, **flags))
    with pytest.raises(ModelFileError) as caught:
        load(path)
    assert caught.value.path == str(path) and repr(str(path)) in str(caught.value)


def _wide(layer, units):
    def edit(config):
        for node in walk(config):
            if node.get("class_name") == "Dense" and node["config"].get("name") == layer:
                node["config"]["units"] = units
    return edit


def _hollow(columns):
    """Swap the first Dense kernel for a dataset of 4 x ``columns`` floats that stores
    none of them (chunked, no chunk written)."""
    def edit(h5):
        del h5["layers/dense/vars/0"]
        h5.create_dataset("layers/dense/vars/0", shape=(4, columns), dtype="float32",
                          chunks=(4, 1024))
    return edit


def test_a_keras_config_declaring_more_weights_than_stored_is_refused_by_layer(saved,
                                                                                 tmp_path):
    path = with_keras_part(saved["cnn"][1], tmp_path / "wide.toonsklearn",
                           config=_wide("predictions", 1 << 22))
    with pytest.raises(ModelFileError, match="in its layer 'predictions', but its weights "
                                             "file holds only .*Nothing was built"):
        load(path)


def test_a_weights_dataset_storing_less_than_it_declares_is_refused_by_layer(saved,
                                                                               tmp_path):
    path = with_keras_part(saved["cnn"][1], tmp_path / "hollow.toonsklearn",
                           weights=_hollow(1 << 22))
    with pytest.raises(ModelFileError, match="for layer 'layers/dense' \\(dataset "
                                             "'layers/dense/vars/0'\\) declare 64.0 MiB but "
                                             "store 0 bytes"):
        load(path)


_PEAK = """
import json, sys
import keras, toonsklearn.io

def kib(field):
    return next(int(line.split()[1]) for line in open("/proc/self/status")
                if line.startswith(field))

for path in sys.argv[1:]:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # the peak (VmHWM) starts again from the RSS now
    before, outcome = kib("VmRSS"), "loaded"
    try:
        toonsklearn.io.load(path)
    except ValueError as exc:
        outcome = type(exc).__name__
    print(json.dumps({"path": path, "extra": (kib("VmHWM") - before) * 1024,
                      "outcome": outcome}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK),
                    reason="measures the peak RSS through Linux's /proc/self/clear_refs")
def test_a_crafted_keras_part_is_refused_before_memory_grows_past_the_files_size(saved,
                                                                                tmp_path):
    # unchecked, these take 1-3 GB to refuse (2**26 units or a 1 GiB dataset take 5-7 GB)
    files = [with_keras_part(saved["cnn"][1], tmp_path / "wide.toonsklearn",
                             config=_wide("predictions", 1 << 24)),
             with_keras_part(saved["cnn"][1], tmp_path / "hollow.toonsklearn",
                             weights=_hollow(1 << 24))]
    done = subprocess.run([sys.executable, "-c", _PEAK, *map(str, files)], check=True,
                          capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    for line in done.stdout.splitlines():
        result = json.loads(line)
        size = os.path.getsize(result["path"])
        assert result["outcome"] == "ModelFileError", result
        assert result["extra"] < 2 * size + 200e6, result
