"""``python -m toonsklearn``: the ``toonsklearn`` command."""

import sys

from .cli import main

sys.exit(main())
