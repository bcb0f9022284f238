"""The `diffcli` command line.

`diffcli.cli.app.main` is the console script; `diffcli.cli.app.app` is the whole typer
app (every command), built on first use. One module per command lives in `commands/`;
a run imports only the module of the command it was asked for.
"""
