"""symbolic_derivatives (the symbolic command): sympy's own derivative, under the budget."""

import sympy

from diffcli.expr import parse
from diffcli.verify import symbolic_derivatives


def test_symbolic_derivatives_are_sympys():
    x, y = sympy.symbols("x y", real=True)
    found = symbolic_derivatives(parse("sin(x)*exp(-y**2)"), ["x", "y"], latex=True)
    truth = {"x": sympy.diff(sympy.sin(x) * sympy.exp(-y**2), x),
             "y": sympy.diff(sympy.sin(x) * sympy.exp(-y**2), y)}
    assert found.skipped is None
    assert found.derivative == {k: str(v) for k, v in truth.items()}
    assert found.latex["y"] == sympy.latex(truth["y"])


def test_symbolic_derivatives_stop_at_the_budget():
    node = parse("*".join(f"sin(x + {i}*y)" for i in range(1, 300)))
    found = symbolic_derivatives(node, ["x"], latex=True, timeout=0.3)
    assert found.to_json() == {"derivative": {"x": None}, "latex": {"x": None},
                               "skipped": "skipped: timed out"}
