"""The page ``toonsklearn audit`` writes: one static HTML file a person scrolls.

A summary table, then each group of copies as a row of thumbnails, then the labels
most likely wrong, each with its thumbnail. The thumbnails are small PNGs embedded in
the page as ``data:`` URIs, not files beside it: the page is then one file, written
whole or not at all (an interrupted run leaves the earlier page, never a page whose
thumbnails belong to another run), and it still shows its images when it is moved,
mailed or opened from an archive. Every text of the page (file names, class names)
is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Most groups of copies, members of a group and label issues the page shows; the CSV
#: files list them all.
MAX_GROUPS = 200
MAX_MEMBERS = 12
MAX_ISSUES = 200
THUMBNAIL = 96  # longest side of a thumbnail, in pixels

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
h1 { font-size: 1.5em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
section.group { margin: 0.8em 0; padding: 0.4em; background: #f4f6fa; }
section.group h3 { margin: 0.1em 0 0.4em; font-size: 1em; }
.row { display: flex; flex-wrap: wrap; gap: 0.6em; }
figure { margin: 0; width: 120px; font-size: 0.75em; overflow-wrap: anywhere; }
figure img { width: 96px; height: 96px; object-fit: contain; image-rendering: pixelated;
             background: #ddd; display: block; border: 2px solid #999; }
figure.exact img { border-color: #c0392b; } figure.near img { border-color: #e67e22; }
figure.issue { width: 150px; } figure.issue img { border-color: #2c3e8f; }
.missing { width: 96px; height: 96px; background: #eee; display: flex;
           align-items: center; justify-content: center; color: #888; }
.note { color: #555; }
"""


def render_page(*, data_dir: str, version: str, summary: Sequence[tuple[str, str]],
                counts: pd.DataFrame, duplicates: pd.DataFrame, issues: pd.DataFrame | None,
                skipped_labels: str | None, thumbnails: dict, paths: np.ndarray,
                labels: np.ndarray, splits: np.ndarray) -> str:
    """The page as one string.

    ``summary`` is (what, value) rows; ``counts`` images per class (rows) and split
    (columns); ``duplicates`` the audit's duplicates table (``group``, ``index``,
    ``kind``, ``similarity``); ``issues`` the label issues table, or None with
    ``skipped_labels`` saying why there is none; ``thumbnails`` maps an image's index
    to its PNG bytes (or None when it could not be read again).
    """
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>toonsklearn audit of {_text(data_dir)}</title>",
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>Audit of {_text(data_dir)}</h1>",
             f'<p class="note">Written by toonsklearn {_text(version)} audit. The CSV files '
             "beside this page list every copy and every label; this page shows the first "
             f"{MAX_GROUPS} groups and {MAX_ISSUES} label issues.</p>",
             '<h2 id="summary">Summary</h2>', _summary_table(summary), _counts_table(counts)]
    parts += _groups(duplicates, thumbnails, paths, labels, splits, data_dir)
    parts += _issues(issues, skipped_labels, thumbnails, paths, splits, data_dir)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def thumbnail_png(path: str) -> bytes | None:
    """A PNG of the image at ``path``, its longest side at most :data:`THUMBNAIL` pixels,
    or None when the file cannot be read (it changed since it was checked)."""
    from PIL import Image

    from .._utils.imaging import read_image, read_size
    from ..exceptions import ToonsklearnError

    try:
        height, width = read_size(path)
        scale = min(1.0, THUMBNAIL / max(height, width, 1))
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        image = read_image(path, size)
    except (ToonsklearnError, OSError):
        return None
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buffer, "PNG")
    return buffer.getvalue()


def shown_indices(duplicates: pd.DataFrame, issues: pd.DataFrame | None) -> list[int]:
    """The images the page shows a thumbnail of, in the order it shows them."""
    shown = []
    for _, members in _first_groups(duplicates):
        shown.extend(members["index"].head(MAX_MEMBERS).tolist())
    if issues is not None:
        shown.extend(_flagged(issues)["index"].tolist())
    return list(dict.fromkeys(int(i) for i in shown))


def _first_groups(duplicates: pd.DataFrame):
    groups = duplicates.groupby("group", sort=False)
    return [(group, members) for group, members in groups][:MAX_GROUPS]


def _flagged(issues: pd.DataFrame) -> pd.DataFrame:
    return issues[issues["is_issue"]].head(MAX_ISSUES)


def _summary_table(rows) -> str:
    body = "".join(f"<tr><th>{_text(what)}</th><td>{_text(value)}</td></tr>"
                   for what, value in rows)
    return f'<table class="summary">{body}</table>'


def _counts_table(counts: pd.DataFrame) -> str:
    head = "".join(f"<th>{_text(column)}</th>" for column in counts.columns)
    rows = "".join(
        f"<tr><th>{_text(name)}</th>"
        + "".join(f'<td class="n">{int(n)}</td>' for n in row) + "</tr>"
        for name, row in zip(counts.index, counts.to_numpy(), strict=True))
    return f'<table class="counts"><tr><th>class</th>{head}</tr>{rows}</table>'


def _groups(duplicates, thumbnails, paths, labels, splits, data_dir) -> list[str]:
    n_groups = duplicates["group"].nunique()
    parts = [f'<h2 id="duplicates">Copies: {n_groups} group{"s" if n_groups != 1 else ""}</h2>']
    if not n_groups:
        parts.append("<p>No exact or near copies found.</p>")
        return parts
    parts.append('<p class="note">Each row is a group of copies, its first image first; '
                 "under each image, how it copies the first one (exact: the same bytes; "
                 "near: the perceptual hash's share of equal bits).</p>")
    for group, members in _first_groups(duplicates):
        present = {str(s) for s in splits[members["index"]]}
        where = [s for s in ("train", "validation", "test") if s in present]
        kind = "exact copies" if (members["kind"] == "exact").all() else "near copies"
        span = f", in {' and '.join(where)}" if len(where) > 1 else ""
        parts.append(f'<section class="group" id="group-{int(group)}">'
                     f"<h3>Group {int(group)}: {len(members)} images, {kind}{span}</h3>"
                     '<div class="row">')
        for row in members.head(MAX_MEMBERS).itertuples(index=False):
            index = int(row.index)
            caption = (f"{row.kind} {row.similarity:.3f}<br>{_where(labels, splits, index)}"
                       f"<br>{_text(_relative(paths[index], data_dir))}")
            parts.append(f'<figure class="{_text(row.kind)}" data-index="{index}">'
                         f"{_image(thumbnails.get(index), paths[index], data_dir)}"
                         f"<figcaption>{caption}</figcaption></figure>")
        if len(members) > MAX_MEMBERS:
            parts.append(f'<p class="note">+{len(members) - MAX_MEMBERS} more in '
                         "duplicates.csv</p>")
        parts.append("</div></section>")
    if n_groups > MAX_GROUPS:
        parts.append(f'<p class="note">{n_groups - MAX_GROUPS} more groups in '
                     "duplicates.csv.</p>")
    return parts


def _issues(issues, skipped, thumbnails, paths, splits, data_dir) -> list[str]:
    if issues is None:
        return ['<h2 id="label-issues">Label issues: not looked for</h2>',
                f"<p>{_text(skipped)}</p>"]
    n_issues = int(issues["is_issue"].sum())
    parts = [f'<h2 id="label-issues">Label issues: {n_issues} of {len(issues)} labels</h2>']
    if not n_issues:
        parts.append("<p>No label looks wrong. label_issues.csv ranks every label by its "
                     "quality.</p>")
        return parts
    parts.append('<p class="note">The labels that look wrong, the most likely wrong first: '
                 "the label given (its class folder), the class the cross-validated model "
                 "suggests, and cleanlab's label quality (0 to 1, low: likely wrong).</p>"
                 '<div class="row">')
    for row in _flagged(issues).itertuples(index=False):
        index = int(row.index)
        split = f" ({_text(splits[index])})" if splits[index] else ""
        caption = (f"given <strong>{_text(row.given_label)}</strong>, suggested "
                   f"<strong>{_text(row.suggested_label)}</strong><br>"
                   f"quality {row.label_quality:.3f}{split}<br>"
                   f"{_text(_relative(paths[index], data_dir))}")
        parts.append(f'<figure class="issue" id="issue-{index}" data-index="{index}">'
                     f"{_image(thumbnails.get(index), paths[index], data_dir)}"
                     f"<figcaption>{caption}</figcaption></figure>")
    parts.append("</div>")
    if n_issues > MAX_ISSUES:
        parts.append(f'<p class="note">{n_issues - MAX_ISSUES} more in label_issues.csv.</p>')
    return parts


def _image(png: bytes | None, path: str, data_dir: str) -> str:
    alt = _text(_relative(path, data_dir))
    if png is None:
        return f'<div class="missing" title="{alt}">unreadable</div>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" title="{alt}">'


def _where(labels, splits, index: int) -> str:
    label = _text(labels[index]) if labels[index] else ""
    split = _text(splits[index]) if splits[index] else ""
    return " / ".join(part for part in (split, label) if part) or "&nbsp;"


def _relative(path: str, data_dir: str) -> str:
    try:
        return os.path.relpath(path, data_dir)
    except ValueError:  # another drive (Windows)
        return str(path)


def _text(value) -> str:
    """``value`` as HTML text: escaped, quotes too; a file name that is not valid UTF-8
    shows its undecodable bytes as U+FFFD."""
    text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return html.escape(text, quote=True)
