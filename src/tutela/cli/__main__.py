"""`python -m tutela.cli`."""

from tutela.cli import main

main()
