"""The ``export`` command: a saved model as a LiteRT or ONNX file that takes raw pixels."""

from __future__ import annotations

import argparse
import os

from ._commands import printable
from ._data import CommandError, load_model


def export(args: argparse.Namespace) -> int:
    from ..export import export_model, metadata_path

    if os.path.exists(args.out) and os.path.exists(args.model) \
            and os.path.samefile(args.out, args.model):
        raise CommandError(f"OUT {args.out!r} is MODEL itself; name another file, e.g. "
                           f"{os.path.splitext(args.out)[0] + '.tflite'!r}.", path=args.out)
    model, _ = load_model(args.model)
    metadata = export_model(model, args.out, format=args.format)
    shape = metadata["input"]["shape"][1:]
    print(f"Exported {args.model} to {args.out} ({metadata['format']}) and its metadata to "
          f"{metadata_path(args.out)}.")
    print(printable(f"It takes uint8 pixels of shape (n, {', '.join(map(str, shape))}) and "
                    f"returns {len(metadata['classes'])} probabilities per image: "
                    f"{', '.join(map(str, metadata['classes']))}."))
    return 0
