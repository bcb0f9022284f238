"""Shell completion for bash and zsh: the scripts typer generates, and real completions."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import run_process

BIN = str(Path(sys.executable).parent)


def completions(shell: str, **env: str) -> list[str]:
    run = run_process(env={"_DIFFCLI_COMPLETE": f"complete_{shell}", **env})
    assert run.code == 0, run.stderr
    return run.stdout.splitlines()


def test_bash_script_registers_a_completion_function_for_diffcli():
    run = run_process(env={"_DIFFCLI_COMPLETE": "source_bash"})
    assert run.code == 0
    assert "complete -o default -F _diffcli_completion diffcli" in run.stdout
    assert "_DIFFCLI_COMPLETE=complete_bash" in run.stdout


def test_zsh_script_registers_a_completion_function_for_diffcli():
    run = run_process(env={"_DIFFCLI_COMPLETE": "source_zsh"})
    assert run.code == 0
    assert run.stdout.lstrip().startswith("#compdef diffcli")
    assert "compdef _diffcli_completion diffcli" in run.stdout


def test_bash_completes_command_names_and_options():
    assert completions("bash", COMP_WORDS="diffcli gra", COMP_CWORD="1") == [
        "grad", "graph", "gradcheck"]
    assert completions("bash", COMP_WORDS="diffcli plot --sam", COMP_CWORD="2") == ["--samples"]


def test_zsh_completes_options_with_their_help():
    out = "\n".join(completions("zsh", _TYPER_COMPLETE_ARGS="diffcli grad --poi"))
    assert '"--points":"Batch\\\\: NDJSON or CSV' in out  # zsh escapes the colon


@pytest.mark.skipif(shutil.which("diffcli", path=BIN) is None, reason="diffcli not installed")
def test_the_bash_script_completes_in_a_real_bash():
    script = ('eval "$(_DIFFCLI_COMPLETE=source_bash diffcli)"; '
              "COMP_WORDS=(diffcli derivative --ord); COMP_CWORD=2; _diffcli_completion diffcli; "
              'printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["--order"]
