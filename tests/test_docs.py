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


def test_every_gallery_example_is_a_titled_script_of_cells_in_a_listed_topic():
    """sphinx-gallery executes ``plot_*.py`` only, takes the title from the docstring and
    splits the page at ``# %%``; a topic folder needs a README.txt and a place in
    conf.py's ``subsection_order``, or the build stops."""
    examples = ROOT / "examples"
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    listed = re.search(r'for topic in \((.*?)\)', conf, flags=re.DOTALL).group(1)
    topics = {path.parent.name for path in examples.glob("*/README.txt")}
    assert set(re.findall(r'"(\w+)"', listed)) == topics
    scripts = sorted(examples.glob("*/*.py"))
    assert {path.parent.name for path in scripts} == topics
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        assert script.name.startswith("plot_"), script
        title = re.match(r'"""\n(=+)\n(.+)\n(=+)\n\n\S', source)
        assert title and len(title.group(1)) == len(title.group(3)) >= len(title.group(2)), (
            script)
        assert source.count("\n# %%\n") >= 3, script
        assert "plt.show()" in source or ".plot(" in source or "Display" in source, script
