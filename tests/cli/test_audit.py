"""``toonsklearn audit`` (toonsklearn/cli/_audit.py and _audit_page.py): the copies, the
leaks between splits and the likely wrong labels of a folder of images, as three CSV
files, one static page and a printed summary."""

import base64
import contextlib
import html.parser
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.cli.conftest import error_line, run_cli
from tests.conftest import run_forked, solid, unprivileged_user, write_image
from toonsklearn.cli import main
from toonsklearn.datasets import make_toons

# 32-pixel toons seen by efficientnet_lite0 at 64x64: fast, and enough to tell them apart
SIZE = ["--input-size", "64", "64"]
ODD_NAME = """<b>&"quote'.png"""  # a file name the page must escape
SCORES = re.compile(
    r"Accuracy of make_pipeline\(ImageEmbedder\(\), LogisticRegression\(\)\), \d-fold: "
    r"random split (\d\.\d{3}) ± \d\.\d{3}, group split (\d\.\d{3}) ± \d\.\d{3}, "
    r"difference ([+-]\d\.\d{3}) \(the group split keeps each group of copies on one side\)\.")


def planted(root: Path) -> dict:
    """120 toons in train/validation/test, with copies and wrong labels planted; what was
    planted, as paths relative to ``root``."""
    make_toons(120, image_size=32, random_state=0, directory=root)
    tom = sorted((root / "train" / "tom").glob("*.png"))
    jerry = sorted((root / "train" / "jerry").glob("*.png"))
    shutil.copy(jerry[0], root / "train" / "jerry" / "copy.png")  # exact, inside train
    shutil.copy(tom[0], root / "test" / "tom" / "copy.png")  # exact leak
    shutil.copy(tom[2], root / "test" / "tom" / ODD_NAME)  # exact leak, an odd name
    Image.open(tom[1]).resize((64, 64)).save(root / "validation" / "tom" / "bigger.png")
    Image.open(jerry[1]).save(root / "test" / "jerry" / "recompressed.jpg", quality=90)
    flipped = []
    for path in tom[5:8]:  # three toms filed as jerry
        flipped.append(root / "train" / "jerry" / f"flipped_{path.name}")
        shutil.move(path, flipped[-1])
    relative = lambda path: str(path.relative_to(root))  # noqa: E731
    return {
        "groups": [{"train/jerry/copy.png", relative(jerry[0])},
                   {"test/tom/copy.png", relative(tom[0])},
                   {f"test/tom/{ODD_NAME}", relative(tom[2])},
                   {"validation/tom/bigger.png", relative(tom[1])},
                   {"test/jerry/recompressed.jpg", relative(jerry[1])}],
        "leaks": {("validation", "validation/tom/bigger.png", relative(tom[1]), "near"),
                  ("test", "test/tom/copy.png", relative(tom[0]), "exact"),
                  ("test", f"test/tom/{ODD_NAME}", relative(tom[2]), "exact"),
                  ("test", "test/jerry/recompressed.jpg", relative(jerry[1]), "near")},
        "flipped": [relative(path) for path in flipped],
    }


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """The installed command run on the planted folder: (root, planted, out, the run)."""
    work = tmp_path_factory.mktemp("audit")
    root = work / "toons"
    plants = planted(root)
    done = run_cli("audit", "toons", *SIZE, cwd=work, script=True)
    assert done.returncode == 0, done.stderr
    return root, plants, work / "audit", done


def read_csv(path) -> pd.DataFrame:
    # surrogateescape: a file name that is not UTF-8 is written as its own bytes
    return pd.read_csv(path, keep_default_na=False, encoding_errors="surrogateescape")


def test_the_summary_counts_the_images_copies_leaks_and_label_issues(audited):
    root, _, out, done = audited
    assert "warning" not in done.stderr
    lines = done.stdout.splitlines()
    steps = [line for line in lines if line.endswith(" ...")]
    assert steps == [
        "Looking for exact and near copies among 125 images (perceptual hashes, "
        "--threshold 0.93) ...",
        "Computing embeddings of 125 images with efficientnet_lite0 at 64x64 (cached in "
        "audit/.features) ...",
        "Cross-validating LogisticRegression on the embeddings in 5 folds to find label "
        "issues ...",
        "Scoring make_pipeline(ImageEmbedder(), LogisticRegression()): 5 folds of a random "
        "split, then of a group split ..."]
    summary = lines[lines.index("") + 1:]
    n_issues = int((read_csv(out / "label_issues.csv")["is_issue"]).sum())
    assert summary[:8] == [
        "Audit of toons: 125 images, 2 classes (jerry, tom).",
        "  train: 85 images: jerry 47, tom 38",
        "  validation: 19 images: jerry 9, tom 10",
        "  test: 21 images: jerry 9, tom 12",
        "Copies: 3 groups of exact copies (6 images), 2 groups of near copies (4 images).",
        "Leak: 1 of 19 validation images has a copy in train (0 exact, 1 near).",
        "Leak: 3 of 21 test images have a copy in train (2 exact, 1 near).",
        f"Label issues: {n_issues} of 125 labels look wrong (5-fold cross-validation, "
        "cleanlab)."]
    random_split, group_split, difference = SCORES.fullmatch(summary[8]).groups()
    assert 0.5 < float(group_split) <= 1 and 0.5 < float(random_split) <= 1
    assert float(difference) == pytest.approx(float(random_split) - float(group_split),
                                              abs=0.0015)
    assert summary[9:] == ["Wrote duplicates.csv, leakage.csv, label_issues.csv, index.html "
                           "in audit; open audit/index.html in a browser."]
    assert any((out / ".features").iterdir())  # the embeddings, for the next audit


def test_the_csv_files_list_the_planted_copies_leaks_and_flipped_labels(audited):
    root, plants, out, _ = audited
    duplicates = read_csv(out / "duplicates.csv")
    assert list(duplicates.columns) == ["group", "index", "path", "kind", "similarity",
                                        "label", "split"]
    relative = duplicates["path"].map(lambda path: os.path.relpath(path, "toons"))
    groups = [set(members) for _, members in relative.groupby(duplicates["group"])]
    assert sorted(map(sorted, groups)) == sorted(map(sorted, plants["groups"]))
    assert set(duplicates["split"]) == {"train", "validation", "test"}
    assert (duplicates["label"] == relative.str.split("/").str[1]).all()

    leaks = read_csv(out / "leakage.csv")
    assert list(leaks.columns) == ["split", "test_index", "test_path", "train_index",
                                   "train_path", "kind", "similarity", "test_label",
                                   "train_label"]
    found = {(row.split, os.path.relpath(row.test_path, "toons"),
              os.path.relpath(row.train_path, "toons"), row.kind)
             for row in leaks.itertuples()}
    assert found == plants["leaks"]

    issues = read_csv(out / "label_issues.csv")
    assert list(issues.columns) == ["index", "path", "given_label", "suggested_label",
                                    "label_quality", "is_issue"]
    assert len(issues) == 125 and issues["label_quality"].is_monotonic_increasing
    # one index for each image, the same in every file
    by_index = dict(zip(issues["index"], issues["path"], strict=True))
    assert all(by_index[i] == p for i, p in zip(duplicates["index"], duplicates["path"],
                                                strict=True))
    assert all(by_index[i] == p for i, p in zip(leaks["test_index"], leaks["test_path"],
                                                strict=True))
    flagged = issues[issues["is_issue"]]
    flipped = {f"toons/{name}" for name in plants["flipped"]}
    assert len(flipped & set(flagged["path"])) >= 2
    assert set(flagged[flagged["path"].isin(flipped)]["suggested_label"]) == {"tom"}


class Page(html.parser.HTMLParser):
    """What a browser would take from the page: its images, ids, tags and text."""

    def __init__(self, text: str):
        super().__init__()
        self.images, self.ids, self.tags, self.text = [], {}, [], []
        self._open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = []
            self._open.append((tag, attrs["id"]))
        elif self._open and tag == self._open[-1][0]:
            self._open.append((tag, None))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for _, name in self._open:
            if name is not None:
                self.ids[name].append(data)


def test_the_page_shows_every_group_and_label_issue_with_images_that_decode(audited):
    root, _, out, _ = audited
    text = (out / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    assert page.images
    for image in page.images:
        assert image["src"].startswith("data:image/png;base64,")  # embedded: one file
        decoded = Image.open(io.BytesIO(base64.b64decode(image["src"].split(",", 1)[1])))
        decoded.load()
        assert max(decoded.size) <= 96 and image["alt"]

    duplicates = read_csv(out / "duplicates.csv")
    for group, members in duplicates.groupby("group"):
        shown = "".join(page.ids[f"group-{group}"])
        for path in members["path"]:
            assert os.path.relpath(path, "toons") in shown
    issues = read_csv(out / "label_issues.csv")
    flagged = issues[issues["is_issue"]]
    assert len(flagged)
    for row in flagged.itertuples():
        shown = "".join(page.ids[f"issue-{row.index}"])
        assert os.path.relpath(row.path, "toons") in shown
        assert f"given {row.given_label}, suggested {row.suggested_label}" in shown
    assert sum(1 for key in page.ids if key.startswith("issue-")) == len(flagged)

    # the odd file name is text, never markup
    assert f"test/tom/{ODD_NAME}" in " ".join(page.text)
    assert "test/tom/&lt;b&gt;&amp;&quot;quote&#x27;.png" in text
    assert "<b>" not in text and "b" not in page.tags
    assert "3 groups of exact copies (6 images)" in "".join(page.text)


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Chromium is not installed (CI leaves it out for time)")
def test_chromium_renders_the_page(audited, tmp_path):
    _, _, out, _ = audited
    moved = tmp_path / "moved"  # the page is one file: it shows its images anywhere
    moved.mkdir()
    shutil.copy(out / "index.html", moved / "index.html")
    shot = tmp_path / "page.png"
    done = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1200,2000", (moved / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert shot.is_file(), done.stderr
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (2000, 1200)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # text and thumbnails
    assert (pixels.min(axis=2) < 200).mean() > 0.05  # a fair share is not white


def unreadable_files(folder: Path) -> int:
    """Every kind of file the loaders skip, in ``folder``; how many."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.png").write_bytes(b"")
    (folder / "not_an_image.png").write_bytes(b"plain text, not a PNG")
    whole = io.BytesIO()
    Image.fromarray(solid(16, 16)).save(whole, "PNG")
    (folder / "truncated.png").write_bytes(whole.getvalue()[:40])
    (folder / "broken_link.png").symlink_to(folder / "nowhere.png")
    os.mkfifo(folder / "fifo.png")  # opened, it would block: it must never be
    huge = io.BytesIO()  # over Pillow's MAX_IMAGE_PIXELS twice: a decompression bomb
    Image.new("1", (20000, 10000)).save(huge, "PNG")
    (folder / "huge.png").write_bytes(huge.getvalue())
    return 6


@pytest.mark.filterwarnings("default::toonsklearn.exceptions.ToonsklearnWarning")
def test_one_class_is_audited_for_copies_only_and_unreadable_files_are_counted(tmp_path,
                                                                               capsys):
    data = tmp_path / "toons"
    toons, _ = make_toons(2, image_size=32, random_state=0)
    first = write_image(data / "tom" / "first.png", toons[0])
    shutil.copy(first, data / "tom" / "first_copy.png")
    shutil.copy(first, data / "tom" / os.fsdecode(b"not_utf8_\xff.png"))
    write_image(data / "tom" / "second.png", toons[1])
    n_bad = unreadable_files(data / "tom")
    out = tmp_path / "report"
    assert main(["audit", str(data), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    warning, = captured.err.strip().splitlines()
    assert warning.startswith(f"toonsklearn audit: warning: Skipped {n_bad} of {n_bad + 4} "
                              "files, with their labels (")
    summary = captured.out.splitlines()[captured.out.splitlines().index("") + 1:]
    assert summary == [
        f"Audit of {data}: 4 images, 1 class (tom).",
        "  4 images: tom 4",
        "Copies: 1 group of exact copies (3 images), 0 groups of near copies (0 images).",
        "Label issues and scores: skipped, the images have one class, tom; label issues and "
        "the scores need two classes or more.",
        f"Wrote duplicates.csv, label_issues.csv, index.html in {out}; open "
        f"{out / 'index.html'} in a browser."]
    assert sorted(os.listdir(out)) == ["duplicates.csv", "index.html", "label_issues.csv"]
    # a name that is not UTF-8: its own bytes in the CSV, U+FFFD on the page
    assert b"tom/not_utf8_\xff.png" in (out / "duplicates.csv").read_bytes()
    assert len(read_csv(out / "duplicates.csv")) == 3
    assert read_csv(out / "label_issues.csv").empty  # its header only
    page = Page((out / "index.html").read_text(encoding="utf-8"))
    assert "Label issues: not looked for" in page.text and len(page.images) == 3
    assert "tom/not_utf8_\ufffd.png" in "".join(page.text)


def test_a_folder_without_class_folders_is_audited_for_copies(tmp_path, capsys):
    data = tmp_path / "frames"
    first = write_image(data / "frame_0.png", solid(16, 16))
    shutil.copy(first, data / "frame_1.png")
    out = tmp_path / "audit"
    out.mkdir()
    (out / "leakage.csv").write_text("an earlier audit's, of a folder with splits")
    assert main(["audit", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (f"Label issues and scores: skipped, {data} has no class folders, so its images "
            "have no labels to check; put them in one sub-folder per class.") in printed
    assert f"Audit of {data}: 2 images, no class folders." in printed
    duplicates = read_csv(out / "duplicates.csv")
    assert duplicates["label"].tolist() == ["", ""] and duplicates["split"].tolist() == ["", ""]
    assert sorted(os.listdir(out)) == ["duplicates.csv", "index.html", "label_issues.csv"]


@pytest.fixture
def two_classes(tmp_path) -> Path:
    data = tmp_path / "toons"
    toons, _ = make_toons(6, image_size=32, random_state=0)
    for i in range(3):
        write_image(data / "tom" / f"t{i}.png", toons[i])
        write_image(data / "jerry" / f"j{i}.png", toons[3 + i])
    return data


def test_the_label_issues_and_scores_are_those_of_the_pipeline_on_the_paths(two_classes,
                                                                           tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from toonsklearn import load_image_folder
    from toonsklearn.embedding import ImageEmbedder
    from toonsklearn.inspection import find_label_issues

    out = tmp_path / "audit"
    assert main(["audit", str(two_classes), *SIZE, "--cv", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ("Copies: 0 groups of exact copies (0 images), 0 groups of near copies (0 "
            "images).") in printed
    random_split, group_split, _ = map(float, SCORES.search(printed).groups())

    data = load_image_folder(two_classes)
    paths, labels = data.paths, np.asarray(data.target_names)[data.target]
    model = make_pipeline(ImageEmbedder(input_size=(64, 64)), LogisticRegression(max_iter=1000))
    expected = find_label_issues(model, paths, labels, cv=2, random_state=0)
    issues = read_csv(out / "label_issues.csv")
    for column in ("index", "path", "given_label", "suggested_label", "is_issue"):
        assert issues[column].tolist() == expected[column].tolist()
    np.testing.assert_allclose(issues["label_quality"], expected["label_quality"], rtol=1e-4)
    folds = {"random": StratifiedKFold(2, shuffle=True, random_state=0),
             "group": StratifiedGroupKFold(2, shuffle=True, random_state=0)}
    alone = np.arange(len(paths))  # no copies: every image a group of its own
    assert random_split == pytest.approx(
        cross_val_score(model, paths, labels, cv=folds["random"]).mean(), abs=5e-4)
    assert group_split == pytest.approx(
        cross_val_score(model, paths, labels, cv=folds["group"], groups=alone).mean(), abs=5e-4)


@pytest.mark.parametrize("interruption, status, ending", [
    (RuntimeError("the label check broke"), 1,
     "toonsklearn audit: error: the label check broke"),
    (KeyboardInterrupt(), 130, "toonsklearn audit: interrupted"),
])
def test_a_run_that_fails_halfway_leaves_the_earlier_files_whole(two_classes, tmp_path,
                                                                 monkeypatch, capsys,
                                                                 interruption, status, ending):
    import toonsklearn.inspection

    out = tmp_path / "audit"
    out.mkdir()
    (out / "index.html").write_text("the earlier page")

    def fail(*args, **kwargs):
        raise interruption

    monkeypatch.setattr(toonsklearn.inspection, "find_label_issues", fail)
    argv = ["audit", str(two_classes), *SIZE, "--cv", "2", "--out", str(out)]
    assert main(argv) == status
    assert capsys.readouterr().err.strip().splitlines()[-1] == ending
    assert (out / "index.html").read_text() == "the earlier page"
    assert sorted(os.listdir(out)) == [".features", "index.html"]  # no CSV, no partial file


@pytest.mark.parametrize("argv, message", [
    (lambda t, d: ["audit", str(t / "nowhere")],
     "DATA_DIR '{t}/nowhere' does not exist. Pass a folder"),
    (lambda t, d: ["audit", d + "/tom/t0.png"], "DATA_DIR '{d}/tom/t0.png' is not a folder"),
    (lambda t, d: ["audit", str(t / "empty")], "No images found in {t}/empty: expected"),
    (lambda t, d: ["audit", d, "--out", str(t / "a_file")],
     "--out '{t}/a_file' exists and is not a folder; name a folder"),
    (lambda t, d: ["audit", d, "--out", str(t / "no" / "audit")],
     "Cannot write --out '{t}/no/audit': the folder '{t}/no' does not exist. Create it first."),
    (lambda t, d: ["audit", d, "--out", d + "/audit"],
     "--out '{d}/audit' is inside DATA_DIR '{d}', where the next audit would read it as a "
     "class folder"),
    (lambda t, d: ["audit", d, "--memory", str(t / "a_file")],
     "--memory '{t}/a_file' exists and is not a folder"),
    (lambda t, d: ["audit", d, "--backbone", "efficientnet-lite0"],
     "Unknown backbone 'efficientnet-lite0'. Did you mean 'efficientnet_lite0'?"),
    (lambda t, d: ["audit", d, "--input-size", "16", "16"],
     "--input-size 16 16 is smaller than efficientnet_lite0 takes; pass at least "
     "--input-size 32 32."),
    (lambda t, d: ["audit", d, "--weights", str(t / "missing.weights.h5")],
     "--weights '{t}/missing.weights.h5' is neither imagenet, none, nor an existing file"),
    (lambda t, d: ["audit", d],
     "Class 'jerry' has 3 images, fewer than the --cv 5 folds the label check and the scores "
     "need (each fold holds some of every class); pass --cv 3 or add images of 'jerry'."),
])
def test_bad_input_exits_with_one_line_that_says_what_to_fix(two_classes, tmp_path,
                                                             monkeypatch, capsys, argv,
                                                             message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.chdir(tmp_path)  # where the default --out, audit/, would go
    before = sorted(os.listdir(tmp_path))
    assert main(argv(tmp_path, str(two_classes))) == 1
    line = error_line(capsys)
    assert line.startswith("toonsklearn audit: error: ")
    assert message.format(t=tmp_path, d=two_classes) in line
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_an_out_folder_that_cannot_be_written_is_refused_before_any_work(shared_tmp):
    data = shared_tmp / "toons"
    write_image(data / "tom" / "a.png", solid(16, 16))
    locked = shared_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)

    def run(out):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(["audit", str(data), "--out", str(out)])
        return status, err.getvalue().strip()

    for out, folder in ((locked / "audit", locked), (locked, locked)):
        status, line = run_forked(lambda out=out: run(out), user=unprivileged_user())
        assert status == 1
        assert line == (f"toonsklearn audit: error: Cannot write --out '{out}': the folder "
                        f"'{folder}' is not writable (read-only, or its permissions). "
                        "Choose another.")
    assert os.listdir(locked) == []


def test_help_lists_every_option_with_its_default_and_bad_values_are_usage_errors(capsys):
    from toonsklearn.inspection import DEFAULT_THRESHOLD

    with pytest.raises(SystemExit) as done:
        main(["audit", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: toonsklearn audit")
    for option in ("--out FOLDER", "(default: audit)",
                   "--threshold T", f"(default: {DEFAULT_THRESHOLD})",
                   "--cv K", "(default: 5)", "--random-state N", "(default: 0)",
                   "--backbone NAME", "default efficientnet_lite0", "--weights imagenet|none|PATH",
                   "--input-size H W", "--memory FOLDER", "(default: OUT/.features)",
                   'pip install "toonsklearn[audit]"'):
        assert option in text
    for bad in (["--threshold", "0"], ["--threshold", "1.5"], ["--threshold", "high"],
                ["--cv", "1"], ["--input-size", "64"]):
        with pytest.raises(SystemExit) as done:
            main(["audit", "toons", *bad])
        assert done.value.code == 2
    err = capsys.readouterr().err
    assert "--threshold: must be above 0 and at most 1; received '1.5'" in err
    assert "--cv: must be an int of at least 2; received '1'" in err


def test_an_empty_split_folder_is_left_out(tmp_path, capsys):
    data = tmp_path / "toons"
    toons, _ = make_toons(2, image_size=32, random_state=0)
    write_image(data / "train" / "tom" / "a.png", toons[0])
    write_image(data / "train" / "tom" / "b.png", toons[1])
    (data / "test").mkdir()  # not filled yet
    (data / "test" / ".DS_Store").write_bytes(b"")
    assert main(["audit", str(data), "--out", str(tmp_path / "audit")]) == 0
    printed = capsys.readouterr().out
    assert "  train: 2 images: tom 2\nCopies: 0 groups" in printed and "Leak" not in printed


def test_the_page_shows_the_first_groups_and_issues_and_says_how_many_more():
    from toonsklearn.cli import _audit_page

    n_groups, n_members = _audit_page.MAX_GROUPS + 5, _audit_page.MAX_MEMBERS + 2
    duplicates = pd.DataFrame({"group": np.repeat(np.arange(n_groups), n_members),
                               "index": np.arange(n_groups * n_members), "kind": "near",
                               "similarity": 0.95})
    n = len(duplicates)
    issues = pd.DataFrame({"index": np.arange(n), "given_label": "tom",
                           "suggested_label": "jerry", "label_quality": np.linspace(0, 1, n),
                           "is_issue": True})
    paths = np.array([f"toons/train/tom/{i}.png" for i in range(n)])
    members = {g * n_members + i for g in range(_audit_page.MAX_GROUPS)
               for i in range(_audit_page.MAX_MEMBERS)}
    shown = _audit_page.shown_indices(duplicates, issues)
    assert len(shown) == len(set(shown))
    assert set(shown) == members | set(range(_audit_page.MAX_ISSUES))
    text = _audit_page.render_page(
        data_dir="toons", version="0", summary=[("images", str(n))],
        counts=pd.DataFrame({"train": [n]}, index=["tom"]), duplicates=duplicates,
        issues=issues, skipped_labels=None, thumbnails={}, paths=paths,
        labels=np.full(n, "tom"), splits=np.full(n, "train"))
    page = Page(text)
    assert sum(key.startswith("group-") for key in page.ids) == _audit_page.MAX_GROUPS
    assert sum(key.startswith("issue-") for key in page.ids) == _audit_page.MAX_ISSUES
    assert text.count("+2 more in duplicates.csv") == _audit_page.MAX_GROUPS
    assert "5 more groups in duplicates.csv." in text
    assert f"{n - _audit_page.MAX_ISSUES} more in label_issues.csv." in text
    # no thumbnail (a file that changed since it was read): a placeholder, not a failure
    assert text.count(">unreadable</div>") == len(members) + _audit_page.MAX_ISSUES
    assert _audit_page.thumbnail_png("toons/no/such/file.png") is None
