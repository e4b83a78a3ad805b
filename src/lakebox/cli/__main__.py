"""`python -m lakebox.cli`."""

from lakebox.cli import main

main()
