"""``TimelineDisplay`` (toonsklearn/plotting/_timeline.py): who is on screen when in a
video, from the table of ``toonsklearn.video.predict_video`` or that table read back
from a CSV file."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.plotting.conftest import rendered, tick_names
from toonsklearn import CNNClassifier
from toonsklearn.datasets import make_toons

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from toonsklearn.plotting import TimelineDisplay  # noqa: E402


def drawn_spans(bars) -> list[tuple[float, float]]:
    """The ``(start, width)`` of each rectangle of a ``broken_barh`` collection."""
    spans = []
    for path in bars.get_paths():
        x = path.vertices[:, 0]
        spans.append((float(x.min()), float(x.max() - x.min())))
    return sorted(spans)


def legend(display) -> list[str]:
    return [text.get_text() for text in display.ax_.get_legend().get_texts()]


def multilabel_timeline(labels=None):
    """Five frames half a second apart: tom, both, none, jerry, jerry."""
    table = pd.DataFrame({
        "time": [0.0, 0.5, 1.0, 1.5, 2.0],
        "labels": labels or [("tom",), ("tom", "jerry"), (), ("jerry",), ("jerry",)],
        "proba_tom": [0.9, 0.8, 0.1, 0.2, 0.3],
        "proba_jerry": [0.1, 0.7, 0.2, 0.9, 0.8],
    })
    table.attrs.update(classes=["tom", "jerry"], multilabel=True, every=0.5,
                       path="/videos/episode 1.mp4")
    return table


def test_multilabel_frames_with_both_and_none_merge_into_spans():
    display = TimelineDisplay.from_predictions(multilabel_timeline())
    rendered(display.figure_)
    assert display.spans_ == {"tom": [(0.0, 1.0)], "jerry": [(0.5, 0.5), (1.5, 1.0)]}
    assert display.screen_time_ == {"tom": 1.0, "jerry": 1.5}
    tom, jerry = display.bars_
    assert drawn_spans(tom) == [(0.0, 1.0)]  # frames 0 and 1, one span
    assert drawn_spans(jerry) == [(0.5, 0.5), (1.5, 1.0)]  # the last counts every=0.5 s
    assert legend(display) == ["tom: 1.0 s", "jerry: 1.5 s"]
    assert tick_names(display.ax_, "y") == ["jerry", "tom"]  # the first class on top
    assert display.ax_.get_xlabel() == "time (s)"
    assert display.ax_.get_xlim() == (0.0, 2.5)
    assert display.ax_.get_title() == "episode 1.mp4"


@pytest.mark.parametrize("written", ["tuples", "joined"])
def test_a_multilabel_table_read_back_from_csv_draws_the_same(tmp_path, written):
    table = multilabel_timeline()
    if written == "joined":  # as a CSV of names joined with ";", none left empty
        table["labels"] = ["tom", "tom;jerry", "", "jerry", "jerry"]
    table.to_csv(tmp_path / "timeline.csv", index=False)
    back = pd.read_csv(tmp_path / "timeline.csv")
    assert back.attrs == {}
    display = TimelineDisplay.from_predictions(back)
    # no attrs: the classes from the proba_ columns, the last frame the median gap
    assert display.screen_time_ == {"tom": 1.0, "jerry": 1.5}
    assert legend(display) == ["tom: 1.0 s", "jerry: 1.5 s"]
    assert display.ax_.get_title() == "Who is on screen"


def test_single_label_int_classes_survive_a_csv_round_trip(tmp_path):
    table = pd.DataFrame({"time": [0.0, 1.0, 2.0, 3.0], "label": [1, 1, 0, 1],
                          "proba_0": [0.2, 0.3, 0.9, 0.1], "proba_1": [0.8, 0.7, 0.1, 0.9]})
    table.attrs.update(classes=[0, 1], multilabel=False, every=1.0, path="clip.mkv")
    display = TimelineDisplay.from_predictions(table, title="Episode one")
    assert display.screen_time_ == {0: 1.0, 1: 3.0}
    assert [drawn_spans(bars) for bars in display.bars_] == [[(2.0, 1.0)],
                                                             [(0.0, 2.0), (3.0, 1.0)]]
    assert legend(display) == ["0: 1.0 s", "1: 3.0 s"]
    assert display.ax_.get_title() == "Episode one"
    table.to_csv(tmp_path / "timeline.csv", index=False)
    back = TimelineDisplay.from_predictions(pd.read_csv(tmp_path / "timeline.csv"))
    assert back.screen_time_ == {"0": 1.0, "1": 3.0}  # names from the column names


def test_the_step_of_the_last_frame():
    table = pd.DataFrame({"time": [0.0, 0.2, 0.6, 1.0], "label": ["tom"] * 4,
                          "proba_tom": [1.0] * 4})
    assert TimelineDisplay.from_predictions(table).screen_time_["tom"] == pytest.approx(1.4)
    table.attrs["every"] = None  # every frame predicted: the median gap too
    assert TimelineDisplay.from_predictions(table).screen_time_["tom"] == pytest.approx(1.4)
    table.attrs["every"] = 0.25
    assert TimelineDisplay.from_predictions(table).screen_time_["tom"] == pytest.approx(1.25)
    one = TimelineDisplay.from_predictions(table.iloc[:1].copy())  # attrs kept: 0.25
    assert one.screen_time_ == {"tom": 0.25}
    alone = TimelineDisplay([5.0], [[True]], display_labels=["tom"])
    assert alone.step == 1.0 and alone.spans_ == {"tom": [(5.0, 1.0)]}


def test_an_empty_table_draws_empty_bands():
    table = pd.DataFrame({"time": [], "labels": [], "proba_tom": [], "proba_jerry": []})
    display = TimelineDisplay.from_predictions(table)
    rendered(display.figure_)
    assert display.screen_time_ == {"tom": 0.0, "jerry": 0.0}
    assert [drawn_spans(bars) for bars in display.bars_] == [[], []]
    assert legend(display) == ["tom: 0.0 s", "jerry: 0.0 s"]


def test_ax_given_is_drawn_into_and_long_videos_get_clock_ticks():
    import matplotlib.pyplot as plt

    figure, (first, ax) = plt.subplots(1, 2)
    times = np.arange(0, 300, 5.0)  # five minutes
    display = TimelineDisplay(times, (times >= 60)[:, None], display_labels=["tom"]).plot(ax=ax)
    assert display.ax_ is ax and display.figure_ is figure and not first.collections
    figure.canvas.draw()
    assert ax.get_xlabel() == "time (m:ss)"
    assert {"1:00", "2:00", "4:00"} <= set(tick_names(ax))
    assert legend(display) == ["tom: 4:00 (240.0 s)"]


@pytest.mark.parametrize("change, message", [
    (lambda t: t["time"].tolist(), "must be a pandas DataFrame"),
    (lambda t: t.drop(columns="time"), "no 'time' column"),
    (lambda t: t.drop(columns=["proba_tom", "proba_jerry"]), r"no proba_<class> columns"),
    (lambda t: t.drop(columns="labels"), "no 'label' or 'labels' column"),
    (lambda t: t.assign(time=[0.0, 1.0, 0.5, 2.0, 3.0]), "strictly increasing.*sort_values"),
    (lambda t: t.assign(time=[0.0, 1.0, 1.0, 2.0, 3.0]), "strictly increasing"),
    (lambda t: t.assign(time=[0.0, np.nan, 1.0, 2.0, 3.0]), "row 1 holds nan"),
    (lambda t: t.assign(time=["a", "b", "c", "d", "e"]), "numbers of seconds"),
    (lambda t: t.assign(labels=[("tom",), ("spike",), (), (), ()]),
     r"Row 1 of timeline names 'spike', which is not one of its classes"),
    (lambda t: t.drop(columns="labels").assign(label=["tom", "tom", "jerry", "butch", "tom"]),
     r"Row 3 of timeline names 'butch'"),
])
def test_bad_tables_say_what_is_wrong(change, message):
    with pytest.raises(ValueError, match=message):
        TimelineDisplay.from_predictions(change(multilabel_timeline()))


def test_bad_constructor_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"on_screen must be \(n_times, n_classes\)"):
        TimelineDisplay([0, 1], [[True]], display_labels=["tom"])
    with pytest.raises(ValueError, match="on_screen is for 1 classes but 2 labels"):
        TimelineDisplay([0, 1], [[True], [False]], display_labels=["tom", "jerry"])
    with pytest.raises(ValueError, match="step must be a number of seconds above 0"):
        TimelineDisplay([0, 1], [[True], [False]], display_labels=["tom"], step=0)


def test_importing_plotting_imports_neither_matplotlib_nor_pyav():
    code = ("import sys, toonsklearn.plotting\n"
            "print(sorted({'av', 'matplotlib', 'tensorflow'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_from_estimator_draws_the_predictions_of_a_real_video(tmp_path):
    from toonsklearn.video import write_video

    X, y = make_toons(40, image_size=16, random_state=0)
    clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    path = tmp_path / "clip.mp4"
    write_video(path, X[:6].repeat(2, axis=0), fps=4)  # 3 seconds
    display = TimelineDisplay.from_estimator(clf, path, every=0.5)
    rendered(display.figure_)
    timeline = display.timeline_
    np.testing.assert_allclose(timeline["time"], np.arange(0, 3, 0.5))
    predicted = timeline["label"].to_numpy()
    assert display.screen_time_ == {
        name: pytest.approx(0.5 * np.sum(predicted == name)) for name in clf.classes_}
    assert sum(display.screen_time_.values()) == pytest.approx(3.0)
    for name, bars in zip(clf.classes_, display.bars_, strict=True):
        covered = [t for t, label in zip(timeline["time"], predicted, strict=True)
                   if label == name]
        in_spans = [t for t in timeline["time"]
                    if any(a <= t < a + w for a, w in drawn_spans(bars))]
        assert in_spans == covered
    assert legend(display) == [f"{name}: {display.screen_time_[name]:.1f} s"
                               for name in clf.classes_]
    assert display.ax_.get_title() == "clip.mp4"


def test_a_multilabel_timeline_of_int_labels_draws_again_from_its_csv(tmp_path):
    """predict_video's table of a model fitted on label sets of ints, written to CSV and
    read back, gives the same screen times."""
    from toonsklearn import MultiLabelCNN
    from toonsklearn.datasets import make_toons
    from toonsklearn.video import predict_video, write_video

    X, Y = make_toons(40, task="multilabel", image_size=16, random_state=0)
    sets = [tuple(name for name, on in zip([1, 22], row, strict=True) if on) for row in Y]
    clf = MultiLabelCNN(filters=(4,), epochs=1, threshold=0.3, random_state=0).fit(X, sets)
    path = str(tmp_path / "clip.mkv")
    write_video(path, X[:4].repeat(2, axis=0), fps=2)
    timeline = predict_video(clf, path)
    timeline.to_csv(tmp_path / "timeline.csv", index=False)
    again = TimelineDisplay.from_predictions(pd.read_csv(tmp_path / "timeline.csv"))
    drawn = TimelineDisplay.from_predictions(timeline)
    assert list(again.screen_time_.values()) == list(drawn.screen_time_.values())
    assert sum(drawn.screen_time_.values()) > 0
