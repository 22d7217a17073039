"""toonsklearn.plotting (toonsklearn/plotting/_base.py) without matplotlib, the ``plot``
extra: it imports, and a Display says how to install what it needs. Runs where
matplotlib is installed too."""

import subprocess
import sys


def test_without_matplotlib_a_display_says_how_to_install_it():
    code = """
import sys
sys.modules["matplotlib"] = None  # as if it were not installed
import toonsklearn.plotting as plotting
assert "tensorflow" not in sys.modules, "importing toonsklearn.plotting imported TensorFlow"
try:
    plotting.ConfusionDisplay.from_predictions([0, 1], [0, 1])
except ImportError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert 'pip install "toonsklearn[plot]"' in out
    assert "matplotlib" in out
