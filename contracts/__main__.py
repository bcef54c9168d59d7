"""`python -m contracts` is `sendcloud-contracts`."""

import sys

from .cli import main

sys.exit(main())
