"""Collection rules for the whole checkout (tests/ and the doctests in src/)."""

import importlib.util

# The plotting doctests draw with matplotlib, an optional extra: without it they are not
# collected (tests/test_plotting_optional.py checks what a user without it is told).
collect_ignore_glob = ([] if importlib.util.find_spec("matplotlib")
                       else ["src/toonsklearn/plotting/*.py"])
