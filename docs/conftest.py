"""Run the user guide's code: every ``>>>`` block of the ``.rst`` pages is a doctest.

Each page runs in a fresh empty folder, so its examples write ``toons/`` and model files
where a user would, and nothing is left in the checkout.
"""

import importlib.util

import pytest

# Build scripts and generated pages, not documentation to test.
collect_ignore = ["conf.py", "readme_figure.py", "inventories", "_ext", "_build",
                  "_templates", "generated", "auto_examples"]
if importlib.util.find_spec("matplotlib") is None:   # the plotting page needs the extra
    collect_ignore.append("user_guide/plotting.rst")


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
