"""The ``export`` command: a saved model as a LiteRT or ONNX file that takes raw pixels."""

from __future__ import annotations

import argparse
import os

from ._data import CommandError, load_model


def export(args: argparse.Namespace) -> int:
    from ..export import FORMATS, export_model, metadata_path

    format = args.format or _format_of(args.out, FORMATS)
    model, _ = load_model(args.model)
    metadata = export_model(model, args.out, format=format)
    shape = metadata["input"]["shape"][1:]
    print(f"Exported {args.model} to {args.out} ({format}) and its metadata to "
          f"{metadata_path(args.out)}.")
    print(f"It takes uint8 pixels of shape (n, {', '.join(map(str, shape))}) and returns "
          f"{len(metadata['classes'])} probabilities per image: "
          f"{', '.join(map(str, metadata['classes']))}.")
    return 0


def _format_of(out: str, formats: dict) -> str:
    suffix = os.path.splitext(out)[1].lower()
    for format, known in formats.items():
        if suffix == known:
            return format
    raise CommandError(f"Cannot tell the format from {out!r}: name the file *.tflite "
                       "(LiteRT) or *.onnx (ONNX), or pass --format litert|onnx.")
