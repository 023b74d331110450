"""``python -m spikax``: the built-in demonstration (see ``python -m spikax --help``)."""

import sys

from ._demo import main

if __name__ == "__main__":
    sys.exit(main())
