"""`python -m gtm ...`: the command line (see gtm/cli.py)."""

import sys

from gtm.cli import main

sys.exit(main())
