"""The `diffcli` command line.

`diffcli.cli.launch.main` is the console script (it may fork sympy's worker, then runs
`diffcli.cli.app.main`); `diffcli.cli.app.app` is the whole typer
app (every command), built on first use. One module per command lives in `commands/`;
a run imports only the module of the command it was asked for.
"""
