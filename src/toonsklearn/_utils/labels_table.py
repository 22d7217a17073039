"""A labels table (CSV) read row by row: every malformed row is refused by its number.

``load_labels_csv`` reads the table here, then checks the images it lists like any other.
Rows are numbered as a spreadsheet numbers them: the header is row 1.
"""

from __future__ import annotations

import csv as _csv
import io
import os

import numpy as np
import pandas as pd

from ..exceptions import LabelsFileError
from .imaging import open_regular_file

__all__ = ["check_label_values", "listed_paths", "read_table"]


def read_table(csv: str, filename_column: str) -> pd.DataFrame:
    """The CSV's non-blank rows, indexed by data row (0 is line 2), or a named error."""
    with open_regular_file(csv, hint="Pass the path of a CSV file of labels.") as file:
        data = file.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelsFileError(
            f"Could not read '{csv}' as a CSV table: it is not UTF-8 text ({exc}). Save it "
            "as comma-separated UTF-8 text with a header line.",
            path=csv,
        ) from None
    _refuse_long_rows(text, csv)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype={filename_column: str},
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            index_col=False,  # a trailing comma must not turn the names into the index
        )
    except pd.errors.EmptyDataError:
        raise LabelsFileError(
            f"'{csv}' is empty or its first line is blank. Expected a header line such "
            "as 'filename,tom,jerry', then one row per image.",
            path=csv,
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise LabelsFileError(
            f"Could not read '{csv}' as a CSV table ({exc}). Save it as comma-separated "
            "UTF-8 text with a header line.",
            path=csv,
        ) from exc
    if filename_column not in frame.columns:
        raise LabelsFileError(
            f"'{csv}' has no column '{filename_column}'; its columns are "
            f"{[str(c) for c in frame.columns]}. Pass filename_column= to name the file-name "
            "column.",
            path=csv,
        )
    if len(frame.columns) < 2:
        raise LabelsFileError(
            f"'{csv}' has no label columns besides '{filename_column}'.", path=csv
        )
    frame = frame[frame.notna().any(axis=1)]
    if frame.empty:
        raise LabelsFileError(f"'{csv}' lists no images: it has a header and no rows.", path=csv)
    return frame


def _refuse_long_rows(text: str, csv: str) -> None:
    """Refuse, by its row, a row with more values than the header names: pandas would
    drop the extra values (with ``index_col=False``) or shift the columns. Empty extra
    fields (a trailing comma) are let through."""
    reader = _csv.reader(io.StringIO(text))
    row, header = 1, None
    try:
        for row, fields in enumerate(reader, start=1):
            if header is None:
                header = fields
                if not header:  # a blank first line: pandas says so
                    return
            elif len(fields) > len(header) and any(f.strip() for f in fields[len(header):]):
                raise LabelsFileError(
                    f"Row {row} of '{csv}' has {len(fields)} fields but the header names "
                    f"{len(header)} ({', '.join(header)}). Remove the extra values or add "
                    "their column to the header.",
                    path=csv,
                    row=row,
                )
    except _csv.Error as exc:
        raise LabelsFileError(
            f"Could not read '{csv}' as a CSV table (row {row + 1}: {exc}). Save it as "
            "comma-separated UTF-8 text with a header line.",
            path=csv,
            row=row + 1,
        ) from None


def check_label_values(labels: pd.DataFrame, lines, csv: str) -> None:
    for column in labels.columns:
        bad = ~pd.to_numeric(labels[column], errors="coerce").isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = labels[column].iloc[row]
            shown = "an empty cell" if pd.isna(value) else repr(_plain(value))
            raise LabelsFileError(
                f"Label columns of '{csv}' must hold only 0 and 1; row {lines[row]}, column "
                f"'{column}' holds {shown}.",
                path=csv,
                row=int(lines[row]),
            )


def listed_paths(names: pd.Series, lines, csv: str, image_dir: str) -> np.ndarray:
    """Join each file name to ``image_dir``; refuse empty, numeric and repeated names."""
    paths, first_row = [], {}
    for line, name in zip(lines, names, strict=True):
        line = int(line)
        if pd.isna(name) or not str(name).strip():
            raise LabelsFileError(
                f"Row {line} of '{csv}' has an empty file name. Fill it in or delete the row.",
                path=csv,
                row=line,
            )
        if _is_number(name):
            raise LabelsFileError(
                f"Row {line} of '{csv}' has the number {name} where a file name belongs. "
                "Is filename_column= the column of file names?",
                path=csv,
                row=line,
            )
        path = os.path.join(image_dir, name)
        key = os.path.normcase(os.path.normpath(path))
        if key in first_row:
            raise LabelsFileError(
                f"'{name}' is listed twice in '{csv}', in rows {first_row[key]} and {line}. "
                "List each image once, with all its labels in one row.",
                path=csv,
                row=line,
            )
        first_row[key] = line
        paths.append(path)
    return np.asarray(paths, dtype=str)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _plain(value):
    """A NumPy scalar as the Python value it holds, so messages read ``'yes'``, not
    ``np.str_('yes')``."""
    return value.item() if isinstance(value, np.generic) else value
