"""Collection rules for the whole checkout: tests/, the doctests in src/, and the user
guide's pages in docs/, whose every ``>>>`` block runs as a doctest."""

import importlib.util
from importlib.metadata import version
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent / "docs"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
SAFE_KERAS = tuple(int(part) for part in version("keras").split(".")[:2]) >= (3, 14)

# The plotting doctests draw with matplotlib, an optional extra: without it they are not
# collected (tests/plotting/test_optional_matplotlib.py checks what a user without it is told).
collect_ignore_glob = [] if HAS_MATPLOTLIB else ["src/toonsklearn/plotting/*.py"]

# Build scripts and generated pages in docs/, not documentation to test.
collect_ignore = [f"docs/{name}" for name in ("conf.py", "readme_figure.py", "inventories",
                                              "_ext", "_build", "_templates", "generated",
                                              "auto_examples")]
if not HAS_MATPLOTLIB:   # these pages draw: the plot extra
    collect_ignore += ["docs/user_guide/plotting.rst", "docs/user_guide/cli.rst"]
if not SAFE_KERAS:   # toonsklearn.io.load refuses Keras before 3.14; these pages load
    collect_ignore += ["docs/user_guide/persistence.rst", "docs/user_guide/cli.rst"]


def pytest_collection_modifyitems(config, items):
    """Without matplotlib, skip each docstring example that uses it (a Display's
    ``plot``): the rest of its module's doctests still run."""
    if HAS_MATPLOTLIB:
        return
    needs_plot = pytest.mark.skip(reason="draws with matplotlib, the plot extra")
    for item in items:
        examples = getattr(getattr(item, "dtest", None), "examples", ())
        if any("matplotlib" in example.source for example in examples):
            item.add_marker(needs_plot)


@pytest.fixture(autouse=True)
def _user_guide_in_empty_folder(request, monkeypatch):
    """Run each user-guide page in a fresh empty folder, so that its examples write
    ``toons/`` and model files where a user would, and nothing in the checkout."""
    if DOCS in Path(request.node.path).parents:
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))
