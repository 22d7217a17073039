import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import toonsklearn


def test_version_is_a_release_string():
    assert toonsklearn.__version__.split(".")[0].isdigit()


def test_public_names_import_from_the_top_level():
    from toonsklearn import (  # noqa: F401
        ImageFolderLoader,
        ImageTransformer,
        load_image_folder,
        load_labels_csv,
    )
    from toonsklearn.datasets import make_toons  # noqa: F401

    assert set(toonsklearn.__all__) >= {
        "ImageFolderLoader",
        "ImageTransformer",
        "load_image_folder",
        "load_labels_csv",
    }


def test_importing_the_package_does_not_import_tensorflow():
    code = (
        "import sys, toonsklearn, toonsklearn.datasets, toonsklearn.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ci_tests_the_lower_bounds_that_pyproject_declares():
    declared = {}
    for requirement in importlib.metadata.requires("toonsklearn"):
        if "extra ==" not in requirement:
            name, bound = re.fullmatch(r"([\w-]+)>=([\w.]+)", requirement).groups()
            declared[name] = bound
    oldest = Path(__file__).parents[1] / ".ci" / "oldest.txt"
    pinned = dict(
        line.split("==") for line in oldest.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert pinned == declared
