"""Every command shown in README.md runs here and prints what the README says it prints.

Blocks fenced as ```console hold ``$ command`` lines, each followed by its output
(stdout and stderr together, as a terminal shows them). After changing the program's
output, refresh the README with ``python tests/test_readme.py --update`` and read the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def commands_in(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for every ``$ `` line of every console block."""
    pairs = []
    for block in CONSOLE_BLOCK.findall(text):
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            pairs.append((command, "\n".join(output)))
    return pairs


def run(command: str) -> str:
    """Run as a reader would, from the repository root, with this interpreter's diffcli."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "COLUMNS": "90",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    return "\n".join(line.rstrip() for line in done.stdout.rstrip("\n").splitlines())


EXAMPLES = commands_in(README.read_text(encoding="utf-8"))


def test_readme_shows_commands():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_command_prints_what_the_readme_shows(command: str, expected: str):
    assert run(command) == expected.rstrip("\n")


def shown(values) -> str:
    """A nested list as the README's check lines write it: [[9, -9, 18], [20, -20, 40]]."""
    if np.ndim(values) == 0:
        return f"{float(values):g}"
    return "[" + ", ".join(shown(v) for v in values) + "]"


def test_readme_matrix_claims_show_the_gradients_worked_by_hand():
    text = README.read_text(encoding="utf-8")
    W, x, y = np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, -1, 2]), np.array([0.5, 1])
    least_squares = 2 * np.outer(W @ x - y, x)
    A = np.array([[1, 2, 0], [0, 1, 3]])
    B = np.array([[1, 0], [0, 1], [1, 1], [2, 0]])
    X, t, w = np.array([[1, 2], [3, 4], [5, 6]]), np.array([1, 0, 1]), np.array([0.5, -0.5])
    shapes_wrong = 2 * (X @ w - t)
    by_w = 2 * X.T @ (X @ w - t)
    pairs = [  # (the claim's value, the gradient by hand)
        (least_squares / 2, least_squares),
        (B @ A, A.T @ B.T),
        (shapes_wrong, by_w),
        (by_w, by_w + 2 * 0.1 * w),
    ]
    for claim, gradient in pairs:
        assert f"gives {shown(claim)} but the derivative is {shown(gradient)}" in text


def update() -> None:
    """Rewrite each console block with the output the commands print now."""

    def refresh(match: re.Match) -> str:
        lines = []
        for command, _ in commands_in(match.group(0)):
            lines.append(f"$ {command}")
            output = run(command)
            if output:
                lines.append(output)
        return "```console\n" + "\n".join(lines) + "\n```"

    text = README.read_text(encoding="utf-8")
    README.write_text(CONSOLE_BLOCK.sub(refresh, text), encoding="utf-8")


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    update()
