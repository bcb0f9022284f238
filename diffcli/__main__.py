"""`python -m diffcli`: the same program as the `diffcli` console script."""

from diffcli.cli.app import main

main()
