"""``toonsklearn frames`` (a video cut into PNG files to sort into class folders) and
``toonsklearn predict`` given a video (a timeline: a row every few seconds)."""

from __future__ import annotations

import argparse
import importlib.util
import math
import os

from .._utils.replace import replacing
from ._commands import _check_writable, _field, _print_lines, _write_csv
from ._data import CommandError, check_out_folder, load_model


def frames(args: argparse.Namespace) -> int:
    from ..video import read_frames

    check_out_folder(args.out_dir, "OUT_DIR", "the frames")
    _check_window(args)
    stem = os.path.splitext(os.path.basename(args.video))[0] or "frame"
    size = tuple(args.size) if args.size is not None else None
    reader = read_frames(args.video, args.every, size, args.start, args.end)
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"Cannot make OUT_DIR {args.out_dir!r} ({exc.strerror or exc}); "
                           "name a folder this user may create.", path=args.out_dir) from exc
    written = 0
    with reader:
        for time, image in reader:
            _write_png(os.path.join(args.out_dir, frame_name(stem, time)), image)
            written += 1
    print(f"Wrote {written} frames of {args.video} to {args.out_dir} (one every "
          f"{args.every:g} s). Sort them into one folder per class to train on them.")
    return 0


def frame_name(stem: str, time: float) -> str:
    """``stem_0000012.500s.png``: names that sort by time, as ``ls`` lists them."""
    return f"{stem}_{time:011.3f}s.png"


def _write_png(path: str, image) -> None:
    from PIL import Image

    with replacing(path) as partial:
        Image.fromarray(image.squeeze(2) if image.shape[2] == 1 else image).save(
            partial, format="PNG")


def _check_window(args: argparse.Namespace) -> None:
    for option in ("every", "start", "end"):
        value = getattr(args, option, None)
        if value is not None and (not math.isfinite(value) or value < 0
                                  or (option == "every" and value == 0)):
            raise CommandError(f"--{option} must be a finite number of seconds "
                               f"{'above' if option == 'every' else 'at least'} 0; "
                               f"received {value:g}.")
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise CommandError(f"--end must come after --start; received --start {args.start:g} "
                           f"--end {args.end:g}.")


def predict(args: argparse.Namespace) -> int:
    """``predict MODEL VIDEO``: one row every ``--every`` seconds."""
    from ..video import predict_video
    from ..video._frames import is_video_file

    videos = [item for item in args.images if is_video_file(item)]
    if len(args.images) > 1:
        others = list(args.images)
        others.remove(videos[0])
        raise CommandError(
            f"predict reads one video at a time, alone: received {videos[0]!r} with "
            f"{len(others)} other {'path' if len(others) == 1 else 'paths'} "
            f"({others[0]!r}...). Run predict once per video, and once for the images.",
            path=videos[0])
    video = videos[0]
    _check_window(args)
    for option, value, example in (("--csv", args.csv, "timeline.csv"),
                                   ("--timeline", args.timeline, "timeline.png")):
        if value is not None:
            _check_writable(value, option, example, model=args.model)
            if os.path.isfile(value) and os.path.isfile(video) and os.path.samefile(value,
                                                                                    video):
                raise CommandError(f"{option} {value!r} is the video itself; name another "
                                   "file.", path=value)
    if args.timeline is not None and importlib.util.find_spec("matplotlib") is None:
        raise CommandError('--timeline draws with matplotlib: pip install "toonsklearn[plot]".')
    model, final = load_model(args.model)
    every = 1.0 if args.every is None else args.every
    timeline = predict_video(model, video, every, start=args.start, end=args.end,
                             smooth=args.smooth, verbose=True)
    classes = [str(name) for name in final.classes_]
    multilabel = timeline.attrs["multilabel"]
    proba = timeline[[f"proba_{name}" for name in final.classes_]].to_numpy()
    if multilabel:
        labels = [";".join(map(str, row)) for row in timeline["labels"]]
        on = [[name in set(map(str, row)) for name in classes] for row in timeline["labels"]]
        best = [";".join(f"{p:.4f}" for p, shown in zip(probs, row, strict=True) if shown)
                for probs, row in zip(proba, on, strict=True)]
    else:
        labels = [str(label) for label in timeline["label"]]
        best = [f"{p:.4f}" for p in proba.max(axis=1)]
    label_column = "labels" if multilabel else "label"
    header = ["time", label_column, *(classes if args.proba else ["probability"])]
    rows = [[f"{time:.3f}", label, *([f"{p:.4f}" for p in probs] if args.proba else [top])]
            for time, label, top, probs in zip(timeline["time"], labels, best, proba,
                                               strict=True)]
    if args.timeline is not None:
        _save_timeline(args.timeline, timeline)
    if args.csv is not None:  # the whole table, as TimelineDisplay.from_predictions reads it
        _write_csv(args.csv, ["time", label_column, *timeline.columns[2:]],
                   [[f"{time:.3f}", label, *(f"{p:.6f}" for p in probs)]
                    for time, label, probs in zip(timeline["time"], labels, proba,
                                                  strict=True)])
        print(f"Wrote {len(rows)} predictions of {video} (one every {every:g} s) to "
              f"{args.csv}.")
    else:
        _print_lines(["\t".join(map(_field, row)) for row in [header, *rows]])
    if args.timeline is not None:
        print(f"Saved the timeline of {video} in {args.timeline}.")
    return 0


def _save_timeline(path: str, timeline) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a file only: no window, no display needed
    from ..plotting import TimelineDisplay
    from ..plotting._base import pyplot

    figure = TimelineDisplay.from_predictions(timeline).figure_
    try:
        with replacing(path) as partial:
            figure.savefig(partial, format="png", dpi=100, bbox_inches="tight")
    finally:
        pyplot().close(figure)
