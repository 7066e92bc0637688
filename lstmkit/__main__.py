"""`python -m lstmkit ...`: the same as the `lstmkit` command."""

import sys

from lstmkit.cli import main

sys.exit(main())
