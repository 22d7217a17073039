"""The README's quickstart and the executed getting-started example say the same thing."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(markdown):
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def code_lines(source):
    """Statement lines without comments or blank lines, whitespace-normalised."""
    lines = (line.split("  #")[0].rstrip() for line in source.splitlines())
    return [" ".join(line.split()) for line in lines if line.strip() and
            not line.lstrip().startswith("#")]


def test_getting_started_runs_the_readme_quickstart():
    """Every line of the README's first quickstart block is in the gallery example, which
    the docs build executes; only where the toons are written differs (a temporary
    folder, so that the build leaves nothing in the checkout)."""
    quickstart = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))[0]
    example = set(code_lines((ROOT / "examples" / "plot_getting_started.py").read_text(
        encoding="utf-8")))
    missing = [line for line in code_lines(quickstart)
               if line not in example and not line.startswith("root = make_toons(")]
    assert missing == []
    transfer = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))[1]
    assert "tl = TransferClassifier(random_state=0).fit(train.paths, train.target)" in (
        code_lines(transfer))
    assert "tl = TransferClassifier(random_state=0).fit(train.paths, train.target)" in example


def test_every_user_guide_page_is_in_the_toctree_and_runs_code():
    guide = ROOT / "docs" / "user_guide"
    index = (guide / "index.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", index, flags=re.MULTILINE))
    pages = {page.stem for page in guide.glob("*.rst")} - {"index"}
    assert listed == pages
    for page in pages:
        assert ">>> " in (guide / f"{page}.rst").read_text(encoding="utf-8"), page
