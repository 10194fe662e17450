"""`python -m comparisons` is `deltacheck`."""

import sys

from comparisons.cli import main

sys.exit(main())
