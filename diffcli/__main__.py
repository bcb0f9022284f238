"""`python -m diffcli`: the same program as the `diffcli` console script."""

from diffcli.cli.launch import main

main()
