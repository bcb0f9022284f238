"""The `cli` fixture: run the CLI in-process through typer's CliRunner."""

import pytest
from typer.testing import CliRunner

from diffcli.cli.app import app

from .helpers import Run


@pytest.fixture
def cli():
    """cli("grad", "x**2", "--at", "x=1", input=None) -> Run, through typer's CliRunner."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict | None = None) -> Run:
        result = runner.invoke(app, list(args), input=input, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke
