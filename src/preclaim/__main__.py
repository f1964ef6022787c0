"""`python -m preclaim` runs the CLI."""

from preclaim.cli import main

main()
