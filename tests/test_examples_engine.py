"""Run the engine's example scripts as a user would and check what they print.

Every expected number is worked by hand in the comment beside it.
"""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import diffcli as dc
from diffcli import autograd

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str) -> dict[str, str]:
    """Run examples/<name>.py and map each printed `label = value` line to its value."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(" = ", 1) for line in proc.stdout.splitlines())


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_line_function_example():
    out = run_example("line_function")
    # w = [[1, 2], [3, 4]], x = [[5, 6], [7, 8]], b = 0.5: out = w*x + b
    assert ast.literal_eval(out["out"]) == [[5.5, 12.5], [21.5, 32.5]]
    assert out["grad_fn"] == "LineBackward"
    # backward(ones): dout/dw = x, dout/dx = w, dout/db = 1
    assert ast.literal_eval(out["w.grad"]) == [[5.0, 6.0], [7.0, 8.0]]
    assert ast.literal_eval(out["x.grad"]) == [[1.0, 2.0], [3.0, 4.0]]
    assert ast.literal_eval(out["b.grad"]) == [[1.0, 1.0], [1.0, 1.0]]


def test_square_function_example():
    out = run_example("square_function")
    assert ast.literal_eval(out["y"]) == [1.0, 4.0, 9.0]  # x = [1, 2, 3] squared
    assert ast.literal_eval(out["x.grad"]) == [2.0, 4.0, 6.0]  # 2x
    assert ast.literal_eval(out["second derivative"]) == [2.0, 2.0, 2.0]  # (x^2)'' = 2
    assert out["gradcheck"] == "True"


def test_hand_derived_example():
    out = run_example("hand_derived")
    # f(2, 3) = 8 + 9, df/dx = 3 * 2^2, df/dy = 2 * 3
    assert float(out["CorrectCube f(2, 3)"]) == 17.0
    assert float(out["CorrectCube df/dx"]) == 12.0
    assert float(out["CorrectCube df/dy"]) == 6.0
    assert re.search(
        re.escape("incorrect number of gradients (expected 2, got 1)"),
        out["WrongCountCube error"],
    )
    assert out["gradcheck(CorrectCube)"] == "True"
    assert out["gradcheck(WrongGradCube)"] == "False"


def test_hand_derived_classes_are_importable_for_gradcheck():
    module = load_example("hand_derived")
    x = (dc.tensor([0.7, -1.2], requires_grad=True), dc.tensor([1.5, 0.4], requires_grad=True))
    assert autograd.gradcheck(module.CorrectCube.apply, x)
    assert autograd.gradcheck(module.WrongGradCube.apply, x, raise_exception=False) is False
    with pytest.raises(RuntimeError):
        autograd.gradcheck(module.WrongGradCube.apply, x)
    with pytest.raises(RuntimeError, match=re.escape("(expected 2, got 1)")):
        autograd.gradcheck(module.WrongCountCube.apply, x)

