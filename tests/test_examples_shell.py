"""The shell examples run as a user would run them, with their output checked by hand values."""

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DIFFCLI = f"{sys.executable} -m diffcli"


def run_example(name: str, path_dirs: list[str] | None = None,
                args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIFFCLI": DIFFCLI, "COLUMNS": "120"}
    if path_dirs is not None:
        env["PATH"] = os.pathsep.join(path_dirs)
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(EXAMPLES / name), *args], capture_output=True, text=True, env=env, timeout=60
    )


def dx(x: float, y: float) -> float:
    """d/dx of sin(x)*exp(y) + x**3*y, worked by hand."""
    return math.cos(x) * math.exp(y) + 3 * x**2 * y


def check_pipeline_output(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["line"] for row in rows] == [1, 2, 3]
    for row, (x, y) in zip(rows, [(0.5, 1.0), (1.0, 2.0), (2.0, -1.0)], strict=True):
        assert row["dx"] == pytest.approx(dx(x, y), rel=1e-12)
    assert "line 4" in result.stderr and "'y'" in result.stderr


def test_pipeline_answers_good_points_in_order_and_reports_the_bad_line():
    # Filtered by jq where it is installed (as on CI), else by the Python fallback.
    check_pipeline_output(run_example("pipeline.sh"))


def test_pipeline_without_jq_falls_back_to_python(tmp_path: Path):
    (tmp_path / "python3").symlink_to(sys.executable)
    check_pipeline_output(run_example("pipeline.sh", path_dirs=[str(tmp_path)]))


def test_verify_catches_the_wrong_component_and_exits_1():
    result = run_example("verify.sh")
    assert result.returncode == 1, result.stderr
    right_dy = 1.5**3 + math.cos(0.5)
    assert "x**3 + cos(y)" in result.stdout
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+", result.stdout)]
    assert any(n == pytest.approx(right_dy, rel=1e-10) for n in numbers)
    assert "∂/∂y is wrong" in result.stdout
    assert "∂/∂x is wrong" not in result.stdout


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def test_matrix_gradients_agree_with_hand_formulas_and_the_transpose_is_named():
    result = run_example("matrix_gradients.sh", args=("--json",))
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["ok"] for d in docs] == [True, True, True, False]
    hand = [  # each worked by hand from the values the script gave
        lambda X, y, w: 2 * X.T @ (X @ w - y),
        lambda X, y, w: X.T @ (sigmoid(X @ w) - y),
        lambda W, x, y: np.outer(softmax(W @ x) - y, x),
        lambda W, x, y: np.outer(softmax(W @ x) - y, x),
    ]
    for doc, gradient in zip(docs, hand, strict=True):
        (component,) = doc["components"]
        truth = gradient(*(np.array(v) for v in doc["at"].values()))
        np.testing.assert_allclose(component["autograd"], truth, rtol=1e-12)
        np.testing.assert_allclose(component["symbolic"], truth, rtol=1e-12)
    assert docs[-1]["components"][0]["mistake"]["kind"] == "transpose"
    assert "the transposed claim is wrong (exit 1), as expected" in result.stderr
