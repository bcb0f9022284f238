"""`diffcli gradcheck FILE.py:NAME` on the tutorial's hand-written backwards."""

import numpy as np
import pytest

from .helpers import ROOT

FILE = str(ROOT / "examples" / "hand_derived.py")
AT = ("--at", "x=2", "--at", "y=3")


def test_wrong_gradient_is_caught_per_input(cli):
    run = cli("gradcheck", f"{FILE}:WrongGradCube", *AT, "--expr", "x**3 + y**2", "--json")
    assert run.code == 1
    doc = run.json()
    assert set(doc) >= {"ok", "inputs", "error"} and doc["ok"] is False
    x, y = doc["inputs"]
    assert (x["name"], x["ok"], y["name"], y["ok"]) == ("x", True, "y", False)
    assert y["analytical"] == 0.0
    assert y["numerical"] == pytest.approx(6.0, rel=1e-6)  # 2y, by hand
    assert y["symbolic"] == pytest.approx(6.0, rel=1e-12)


def test_correct_backward_passes_first_and_second_order(cli):
    run = cli("gradcheck", f"{FILE}:CorrectCube", *AT, "--order", "2", "--json")
    assert run.code == 0
    x, y = run.json()["inputs"]
    assert x["analytical"] == pytest.approx(12.0) and y["analytical"] == pytest.approx(6.0)
    assert x["analytical_2"] == pytest.approx([12.0, 0.0])  # d/dx of (3x^2, 2y) at x=2
    assert y["analytical_2"] == pytest.approx([0.0, 2.0])


def test_wrong_count_is_explained_in_plain_words(cli):
    run = cli("gradcheck", f"{FILE}:WrongCountCube", "--at", "x=[2]", "--at", "y=[3]", "--json")
    assert run.code == 1
    doc = run.json()
    assert "returned 1 gradient but forward takes 2 inputs (x, y)" in doc["error"]
    assert all(row["analytical"] is None and not row["ok"] for row in doc["inputs"])


def test_wrong_shape_is_explained_in_plain_words(cli, tmp_path):
    path = tmp_path / "shapes.py"
    path.write_text(
        "import diffcli as dc\nfrom diffcli import autograd\n\n"
        "class Bad(autograd.Function):\n"
        "    @staticmethod\n    def forward(ctx, x, y):\n        return (x * y).sum()\n"
        "    @staticmethod\n    def backward(ctx, g):\n"
        "        return dc.ones(3), dc.ones(5, 7)\n")
    run = cli("gradcheck", f"{path}:Bad", "--at", "x=[1,2,3]", "--at", "y=[4,5,6]", "--json")
    assert run.code == 1
    assert "for 'y' (input 2) has shape [5, 7], but y has shape [3]" in run.json()["error"]


def test_plain_function_of_diffcli_ops(cli, tmp_path):
    path = tmp_path / "plain.py"
    path.write_text("import diffcli as dc\n\ndef f(a, b):\n    return dc.sin(a) * b\n")
    run = cli("gradcheck", f"{path}:f", "--at", "a=1", "--at", "b=2", "--expr", "sin(a)*b")
    assert run.code == 0 and "WRONG" not in run.stdout


@pytest.mark.parametrize(("target", "reason"), [
    ("nofile.py:X", "no such file"),
    (f"{FILE}:Nope", "'Nope' is not defined"),
    (f"{FILE}", "expected FILE.py:NAME"),
])
def test_what_cannot_be_loaded_exits_2_with_the_reason(cli, target, reason):
    run = cli("gradcheck", target, *AT)
    assert run.code == 2 and reason in run.stderr and "Traceback" not in run.stderr


def test_a_file_that_raises_on_import_exits_2_naming_the_line(cli, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("x = 1\nraise ValueError('boom')\n")
    run = cli("gradcheck", f"{path}:f", *AT)
    assert run.code == 2 and "ValueError: boom (line 2)" in run.stderr


def test_missing_parameter_value_exits_2(cli):
    run = cli("gradcheck", f"{FILE}:CorrectCube", "--at", "x=2")
    assert run.code == 2 and "no value for 'y'" in run.stderr


SWAPPED = '''
from diffcli import autograd


class SwappedProduct(autograd.Function):
    """x*y whose backward swaps the two gradients: right only where x == y."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        return grad_out * x, grad_out * y
'''


def test_a_backward_right_only_at_the_given_point_is_wrong_at_a_random_one(cli, tmp_path):
    path = tmp_path / "swapped.py"
    path.write_text(SWAPPED)
    run = cli("gradcheck", f"{path}:SwappedProduct", "--at", "x=3", "--at", "y=3", "--json")
    assert run.code == 1
    doc = run.json()
    assert [i["ok"] for i in doc["inputs"]] == [True, True]  # at x = y = 3 the swap is invisible
    wrong = doc["disagree_at"][0]
    x, y = wrong["at"]["x"], wrong["at"]["y"]
    rows = {r["name"]: r for r in wrong["inputs"]}
    assert rows["x"]["analytical"] == pytest.approx(x) and rows["x"]["numerical"] == pytest.approx(y)
    drawn = cli("gradcheck", f"{path}:SwappedProduct", "--at", "x=3", "--at", "y=3",
                env={"COLUMNS": "200"})
    assert "right at the given point but wrong at a random one" in drawn.stdout


def test_second_order_on_vector_inputs_matches_by_hand(cli):
    run = cli("gradcheck", f"{FILE}:CorrectCube", "--at", "x=[1,2]", "--at", "y=[3,4]",
              "--order", "2", "--json")
    assert run.code == 0, run.stdout
    x, y = run.json()["inputs"]
    # The Jacobian of x**3 + y**2 by x is diag(3x^2) = diag(3, 12), by y diag(2y), by hand.
    np.testing.assert_allclose(x["analytical"], [[3.0, 0.0], [0.0, 12.0]])
    np.testing.assert_allclose(y["analytical"], [[6.0, 0.0], [0.0, 8.0]])
    # Seeded with gradgradcheck's fixed random v, the vjp is (3x^2 v, 2y v): its derivative
    # by x is diag(6 x v) in the x block and 0 in the y block; by y, 0 and diag(2 v).
    v = np.random.default_rng(0).standard_normal(2)
    np.testing.assert_allclose(x["analytical_2"], [np.diag(6 * np.array([1, 2]) * v),
                                                   np.zeros((2, 2))], atol=1e-12)
    np.testing.assert_allclose(y["analytical_2"], [np.zeros((2, 2)), np.diag(2 * v)], atol=1e-12)
    np.testing.assert_allclose(x["numerical_2"], x["analytical_2"], rtol=1e-5, atol=1e-7)
