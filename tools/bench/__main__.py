"""`python -m tools.bench [options]`: the same as scripts/bench."""

import sys

from tools.bench.cli import main

sys.exit(main(sys.argv[1:]))
