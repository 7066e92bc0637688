"""`python -m lstmkit.cli ...`: the same as the `lstmkit` command."""

import sys

from lstmkit.cli import main

sys.exit(main())
