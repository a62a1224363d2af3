"""Run the ringsync command line with ``python -m ringsync``."""

from ringsync.cli import main

main()
