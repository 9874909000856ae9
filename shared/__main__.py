"""`python -m shared ...` runs the CLI."""

from shared.cli import main

main()
