"""``LabelIssuesDisplay`` (toonsklearn/plotting/_label_issues.py): the images most likely
mislabelled, lowest label quality first, from a result of ``find_label_issues``."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from tests.conftest import write_image
from tests.plotting.conftest import rendered, texts
from toonsklearn.exceptions import MissingFileError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.colors import to_rgba  # noqa: E402

from toonsklearn.plotting import LabelIssuesDisplay  # noqa: E402

COLUMNS = ["index", "path", "given_label", "suggested_label", "label_quality", "is_issue"]


def issues_of(given, suggested, quality, flagged, paths=None, index=None):
    """A ``find_label_issues`` result of one row per image, in the order given."""
    n = len(given)
    return pd.DataFrame({"index": np.arange(n) if index is None else index,
                         "path": [None] * n if paths is None else paths,
                         "given_label": given, "suggested_label": suggested,
                         "label_quality": quality, "is_issue": flagged}, columns=COLUMNS)


def distinct_images(n, size=8):
    return np.stack([np.full((size, size, 3), 10 + 3 * i, np.uint8) for i in range(n)])


def drawn(ax):
    images = ax.get_images()
    return np.asarray(images[0].get_array()) if images else None


def flatten(images):
    return images.reshape(len(images), -1) / 255.0


def test_the_flagged_images_are_drawn_lowest_label_quality_first():
    X = distinct_images(5)
    issues = issues_of(["tom", "jerry", "tom", "jerry", "tom"],
                       ["tom", "tom", "jerry", "tom", "jerry"],
                       [0.95, 0.30, 0.02, 0.11, 0.40], [False, True, True, True, True])
    display = LabelIssuesDisplay.from_result(X, issues, max_images=3)
    rendered(display.figure_)
    assert display.issues["index"].tolist() == [2, 3, 1] and display.n_issues == 4
    assert [ax.get_title() for ax in display.axes_] == [
        "given: tom / suggested: jerry\nlabel quality 0.02",
        "given: jerry / suggested: tom\nlabel quality 0.11",
        "given: jerry / suggested: tom\nlabel quality 0.30"]
    assert [ax.get_xlabel() for ax in display.axes_] == ["X[2]", "X[3]", "X[1]"]
    assert [drawn(ax).tolist() for ax in display.axes_] == [X[i].tolist() for i in [2, 3, 1]]
    assert {to_rgba(ax.title.get_color()) for ax in display.axes_} == {to_rgba("tab:red")}
    assert display.figure_.get_suptitle() == (
        "Likely label issues, lowest label quality first: 3 of 4")


def test_issues_only_false_draws_the_lowest_quality_flagged_or_not():
    X = distinct_images(4)
    issues = issues_of(["a", "b", "a", "b"], ["b", "b", "a", "a"], [0.2, np.nan, 0.9, 0.6],
                       [True, False, False, False])
    display = LabelIssuesDisplay.from_result(X, issues, issues_only=False, max_images=9)
    assert display.issues["index"].tolist() == [0, 3, 2, 1]  # the missing quality last
    assert display.axes_[3].get_title() == "given: b / suggested: b\nlabel quality nan"
    colours = [to_rgba(ax.title.get_color()) for ax in display.axes_[:4]]
    assert colours[0] == to_rgba("tab:red") and to_rgba("tab:red") not in colours[1:]
    assert sum(len(ax.get_images()) for ax in display.axes_) == 4
    assert display.figure_.get_suptitle().endswith(": 4 of 1")


def test_label_sets_are_joined_and_an_empty_one_is_none():
    X = distinct_images(2)
    issues = issues_of([("jerry", "tom"), ()], [("tom",), ["spike"]], [0.1, 0.3],
                       [True, True])
    display = LabelIssuesDisplay.from_result(X, issues)
    assert [ax.get_title().splitlines()[0] for ax in display.axes_] == [
        "given: jerry, tom / suggested: tom", "given: none / suggested: spike"]


def test_only_the_files_drawn_are_opened_and_named_below(tmp_path):
    rng = np.random.default_rng(0)
    paths = [write_image(tmp_path / "tom" / "0001.png",
                         rng.integers(0, 256, (120, 60, 3), dtype=np.uint8)),
             str(tmp_path / "jerry" / "unflagged and gone.png"),
             str(tmp_path / "jerry" / "flagged but past max_images.png")]
    (tmp_path / "broken.png").write_bytes(b"\x89PNG but no more")
    paths.append(str(tmp_path / "broken.png"))  # the best label: never drawn
    issues = issues_of(["tom", "jerry", "jerry", "tom"], ["jerry", "tom", "tom", "tom"],
                       [0.01, 0.02, 0.05, 0.99], [True, False, True, False], paths)
    display = LabelIssuesDisplay.from_result(paths, issues, max_images=1)
    assert drawn(display.axes_[0]).shape == (64, 32, 3)  # decoded small
    assert display.axes_[0].get_xlabel() == "0001.png"
    rendered(display.figure_)
    with pytest.raises(MissingFileError, match="flagged but past max_images.png"):
        LabelIssuesDisplay.from_result(paths, issues, max_images=2)


def test_a_result_read_back_from_csv_draws_alike(tmp_path):
    paths = [write_image(tmp_path / f"{i}.png", np.full((8, 8, 3), 60 * i, np.uint8))
             for i in range(3)]
    issues = issues_of(["tom", "jerry", "tom"], ["jerry", "jerry", "tom"], [0.1, 0.8, 0.9],
                       [True, False, False], paths)
    issues.to_csv(tmp_path / "issues.csv", index=False)
    back = pd.read_csv(tmp_path / "issues.csv")
    display = LabelIssuesDisplay.from_result(paths, back.assign(path=np.nan))
    assert display.axes_[0].get_xlabel() == "0.png"
    assert display.issues["path"].tolist() == [paths[0]]
    with pytest.raises(ValueError, match=r"names '.*0.png' for index 0, but X\[0\] is "
                                         r"'.*2.png': pass the X given to find_label_issues"):
        LabelIssuesDisplay.from_result(paths[::-1], back)


def test_no_issues_draws_a_figure_saying_so():
    X = distinct_images(1)
    for issues in (issues_of(["tom"], ["tom"], [0.97], [False]), pd.DataFrame(columns=COLUMNS)):
        display = LabelIssuesDisplay.from_result(X, issues)
        assert texts(display.axes_[0]) == ["No label issues found"]
        assert display.n_issues == 0 and display.axes_.shape == (1,)


def test_draws_into_your_axes():
    import matplotlib.pyplot as plt

    X = distinct_images(3)
    issues = issues_of(["a", "b", "a"], ["b", "a", "b"], [0.1, 0.2, 0.3], [True] * 3)
    figure, axes = plt.subplots(1, 3)
    display = LabelIssuesDisplay.from_result(X, issues, ax=axes)
    assert display.figure_ is figure and list(display.axes_) == list(axes)
    assert figure.get_suptitle() == ""
    with pytest.raises(ValueError, match="ax holds 2 Axes but this display draws 3 panels"):
        LabelIssuesDisplay.from_result(X, issues, ax=axes[:2])


@pytest.mark.parametrize("frame, error, message", [
    (lambda d: d.to_dict(), TypeError,
     r"issues must be the pandas DataFrame toonsklearn.inspection.find_label_issues "
     r"returns; received dict"),
    (lambda d: d.drop(columns=["is_issue"]), ValueError,
     r"issues lacks the columns \['is_issue'\]: pass the DataFrame "
     r"toonsklearn.inspection.find_label_issues returns, with the columns \['index', "),
    (lambda d: d.assign(index=[0, 1, 3]), ValueError,
     r"issues\['index'\] holds 3, but X has 3 images \(positions 0 to 2\): pass the X given "
     r"to find_label_issues"),
    (lambda d: d.assign(index=[0.0, np.nan, 2.0]), ValueError, r"whole numbers; received nan"),
    (lambda d: d.assign(label_quality=[0.1, "low", 0.3]), ValueError,
     r"issues\['label_quality'\] must hold numbers.*received 'low'"),
    (lambda d: d.assign(is_issue=[True, np.nan, False]), ValueError,
     r"issues\['is_issue'\] must hold True or False.*received nan"),
    (lambda d: d.assign(is_issue=["yes", "no", "no"]), ValueError, r"received 'yes'"),
])
def test_a_result_that_is_not_find_label_issues_one_is_refused(frame, error, message):
    X = distinct_images(3)
    issues = issues_of(["a", "b", "a"], ["b", "b", "a"], [0.1, 0.8, 0.9], [True, False, False])
    with pytest.raises(error, match=message):
        LabelIssuesDisplay.from_result(X, frame(issues))


@pytest.mark.parametrize("call, message", [
    (lambda X, d: LabelIssuesDisplay.from_result(X, d, max_images=0),
     "max_images must be a positive int; received 0"),
    (lambda X, d: LabelIssuesDisplay.from_result(X, d, issues_only="yes"),
     "issues_only must be True or False; received 'yes'"),
    (lambda X, d: LabelIssuesDisplay.from_result("images/", d),
     r"X must be the images the audit was run on.*received shape \(\)"),
    (lambda X, d: LabelIssuesDisplay(X[:2], d), "images holds 2 images but issues 3 rows"),
])
def test_bad_arguments_are_refused_with_the_value_and_the_fix(call, message):
    issues = issues_of(["a", "b", "a"], ["b", "b", "a"], [0.1, 0.8, 0.9], [True, False, False])
    with pytest.raises(ValueError, match=message):
        call(distinct_images(3), issues)


def test_from_estimator_finds_and_draws_the_wrong_labels():
    pytest.importorskip("toonsklearn.inspection")
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.integers(0, 60, (12, 8, 8, 1)),
                        rng.integers(195, 256, (12, 8, 8, 1))]).astype(np.uint8)
    y = np.repeat(["dark", "bright"], 12)
    y[[2, 20]] = ["bright", "dark"]  # two wrong labels
    model = make_pipeline(FunctionTransformer(flatten), LogisticRegression())
    display = LabelIssuesDisplay.from_estimator(model, X, y, cv=3, random_state=0,
                                                max_images=4)
    assert sorted(display.issues["index"].tolist()[:2]) == [2, 20]
    titles = {int(i): ax.get_title().splitlines()[0]
              for i, ax in zip(display.issues["index"], display.axes_, strict=False)}
    assert titles[2] == "given: bright / suggested: dark"
    assert titles[20] == "given: dark / suggested: bright"
    assert display.n_issues >= 2
    rendered(display.figure_)
