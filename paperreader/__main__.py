"""``python -m paperreader``: the same as the ``paperreader`` command."""

import sys

from .cli import main

sys.exit(main())
