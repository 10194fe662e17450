"""`python -m comparisons` is `deltacheck`."""
import sys

from .cli import main

sys.exit(main())
