"""``python -m reports.cli``: the ``dlnverify`` console script."""

import sys

from reports.cli import main

sys.exit(main())
