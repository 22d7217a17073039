"""The ``info`` command: what a saved model file holds, read without building the model."""

from __future__ import annotations

import argparse

from ._commands import _print_lines, printable

_SHOWN_VERSIONS = ("toonsklearn", "keras", "tensorflow", "scikit-learn", "numpy", "python")


def info(args: argparse.Namespace) -> int:
    from .. import io

    about = io.describe(args.model)
    summary = about["summary"]
    lines = [f"{args.model}: a toonsklearn model file (format {about['format_version']})."]
    if summary is None:
        lines.append(f"Object: {printable(about['object'])} (saved before toonsklearn recorded "
                     "summaries; toonsklearn.io.load in Python shows the rest).")
    else:
        lines.append(printable(f"Estimator: {summary['estimator']} "
                               f"({summary['estimator_type']})"))
        if summary["steps"]:
            lines.append(printable("Pipeline steps: " + " -> ".join(
                f"{name} ({kind})" for name, kind in summary["steps"])))
        lines.append(_classes_line(summary))
        size = summary["input_size"]
        lines.append("Input size: " + (" x ".join(map(str, size)) + " (height x width x "
                                       "channels)" if size else "not recorded"))
        if summary["epochs_trained"] is not None:
            lines.append(f"Epochs trained: {summary['epochs_trained']}")
    versions = about["versions"]
    written = [f"{name} {versions[name]}" for name in _SHOWN_VERSIONS if name in versions]
    lines.append(f"Written with: {', '.join(written) if written else 'not recorded'}")
    if about["untrusted_types"]:
        lines.append(f"Types outside the allow-list (toonsklearn.io.load needs them in "
                     f"trusted=): {printable(', '.join(about['untrusted_types']))}")
    if about["card"] is None:
        lines += ["", f"No model card stored. Store one with: toonsklearn evaluate "
                  f"{args.model} DATA_DIR --card-into {args.model}"]
    else:
        card = printable(about["card"].rstrip("\n"), keep_newlines=True)
        lines += ["", "Model card:", "", *card.splitlines()]
    _print_lines(lines)
    return 0


def _classes_line(summary: dict) -> str:
    word = "Labels" if summary["multilabel"] else "Classes"
    if summary["classes"] is None:
        return f"{word}: none (the estimator is not fitted)"
    names = printable(", ".join(map(str, summary["classes"])))
    more = (summary["n_classes"] or 0) - len(summary["classes"])
    return f"{word} ({summary['n_classes']}): {names}{f' and {more} more' if more > 0 else ''}"
