"""`python -m schedkit`: the command line without an installed console script."""

from schedkit.cli import main

main()
