"""``python -m benchmarks`` runs the same as ``gputensor-bench``."""

import sys

from .cli import main

sys.exit(main())
