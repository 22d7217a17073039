"""Run the user guide's code: every ``>>>`` block of the ``.rst`` pages is a doctest.

Each page runs in a fresh empty folder, so its examples write ``toons/`` and model files
where a user would, and nothing is left in the checkout.
"""

import importlib.util
from importlib.metadata import version

import pytest

# Build scripts and generated pages, not documentation to test.
collect_ignore = ["conf.py", "readme_figure.py", "inventories", "_ext", "_build",
                  "_templates", "generated", "auto_examples"]
if importlib.util.find_spec("matplotlib") is None:   # these pages draw: the plot extra
    collect_ignore += ["user_guide/plotting.rst", "user_guide/cli.rst"]
# toonsklearn.io.load refuses Keras before 3.14 (known safe_mode bypasses): the pages
# that load a saved model run where it does.
if tuple(int(part) for part in version("keras").split(".")[:2]) < (3, 14):
    collect_ignore += ["user_guide/persistence.rst", "user_guide/cli.rst"]


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
