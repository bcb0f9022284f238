"""check_batch: a batch of points checked at once, each point judged as if alone."""

import json
import math

import numpy as np
import pytest

from diffcli.expr import parse
from diffcli.verify import BatchCheck, check_batch, check_derivative, check_gradient, gradient
from diffcli.verify.judging import Tolerances

# A smooth point, a pole of log (undefined), relu's kink (convention), a point where
# sin(3000 x) turns within the difference step (no estimate), and ordinary points.
EXPR = "sin(x)*exp(y) + x**3*y + log(x) + relu(x - 1) + sin(3000*x)"
X = [0.7, 0.0, 1.0, 0.3, 1.9, -0.5]
Y = [0.2, 1.0, -0.4, 0.5, -1.3, 0.8]


def _batch(expr, xs, ys, **kwargs):
    node = parse(expr)
    columns = {"x": np.array(xs), "y": np.array(ys)}
    _, grads = gradient(node, columns, ["x", "y"], batch=len(xs))
    return node, grads, check_batch(node, columns, [("x", ("x",)), ("y", ("y",))],
                                    [grads["x"], grads["y"]], **kwargs)


def _verdicts(doc):
    return (doc["agree"], doc["formula"], doc["skipped"],
            [(c["name"], c["status"], c["agrees"]) for c in doc["components"]],
            {k: v is None for k, v in doc["finite_difference"].items()})


def test_each_point_of_a_batch_gets_the_verdicts_of_its_check_alone():
    node, grads, batch = _batch(EXPR, X, Y)
    statuses = set()
    for i, (x, y) in enumerate(zip(X, Y)):
        alone = check_gradient(node, {"x": x, "y": y}, {"x": grads["x"][i], "y": grads["y"][i]},
                               ["x", "y"]).to_json()
        mine = batch.point(i).to_json()
        assert _verdicts(mine) == _verdicts(alone), (x, y)
        for key in ("symbolic", "finite_difference"):
            nan = {k: math.nan if v is None else v for k, v in alone[key].items()}
            assert {k: math.nan if v is None else v for k, v in mine[key].items()} == \
                pytest.approx(nan, rel=1e-9, nan_ok=True)
        statuses.update(c["status"] for c in mine["components"])
    assert statuses == {"match", "undefined", "convention"}  # the points cover each kind


def test_the_json_text_of_each_point_is_its_check_as_a_document():
    _, _, batch = _batch(EXPR, X, Y)
    texts = batch.json_texts()
    assert [json.loads(t) for t in texts] == [batch.point(i).to_json() for i in range(len(X))]


def test_a_wrong_value_at_one_point_fails_that_point_only_judged_by_exact_sympy():
    node = parse("sin(x)*exp(y) + x**3*y")
    xs, ys = np.array([0.4, 1.3, -0.8]), np.array([0.1, -0.6, 1.1])
    _, grads = gradient(node, {"x": xs, "y": ys}, ["x", "y"], batch=3)
    wrong = grads["x"].copy()
    wrong[1] *= 1 + 1e-9  # off by 1e-9: well outside rtol 1e-10
    batch = check_batch(node, {"x": xs, "y": ys}, [("x", ("x",))], [wrong])
    assert batch.agree() == [True, False, True]
    assert batch.point(1).components[0].status == "mismatch"
    # The disagreeing point is evaluated exactly, as a point alone is: the very number.
    alone = check_gradient(node, {"x": 1.3, "y": -0.6}, {"x": wrong[1]}, ["x"])
    assert batch.point(1).components[0].symbolic == alone.components[0].symbolic
    exact = math.cos(1.3) * math.exp(-0.6) + 3 * 1.3**2 * -0.6  # by hand
    assert batch.point(1).components[0].symbolic == pytest.approx(exact, rel=1e-15)


def test_without_sympy_the_differences_judge_each_point_and_skipped_says_why():
    node, _, batch = _batch("x**3*y", [1.0, 2.0], [3.0, -1.0], timeout=0.0)
    assert batch.skipped == "skipped: timed out" and batch.formula == {}
    assert batch.agree() == [True, True]
    # d/dx x^3 y = 3 x^2 y, by hand; the estimate is close, not exact.
    assert batch.finite_difference[0] == pytest.approx([9.0, -12.0], rel=1e-8)
    assert batch.point(0).to_json()["symbolic"] == {"x": None, "y": None}
    texts = batch.json_texts()
    assert [json.loads(t) for t in texts] == [batch.point(i).to_json() for i in range(2)]


def test_the_rounding_allowance_of_the_differences_scales_with_each_points_own_value():
    # 1e8 + x**2 at x = 1 and a point whose value is small: a batch-wide scale would give
    # the small point the big one's allowance. Autograd is off by 1e-4 at the small point:
    # beyond what its own rounding allows, so without sympy it must be a mismatch there.
    node = parse("x**2 + y")
    xs, ys = np.array([1.0, 1.0]), np.array([1e8, 0.0])
    batch = check_batch(node, {"x": xs, "y": ys}, [("x", ("x",))],
                        [np.array([2.0, 2.0 + 1e-4])], timeout=0.0)
    alone = check_gradient(node, {"x": 1.0, "y": 0.0}, {"x": 2.0 + 1e-4}, ["x"], timeout=0.0)
    assert alone.agree is False  # the truth for that point alone
    assert batch.agree() == [True, False]


def test_a_point_whose_differences_do_not_settle_has_none_beside_a_point_of_large_value():
    # d/dx sin(1000 x) = 1000 cos(1000 x), by hand. At x = 0.3 the steps (1e-3) are too
    # coarse for sin(1000 x): alone, its estimates do not settle and there is none. Beside
    # a point of value 1e10, whose rounding excuses gaps 1e10 times wider, the same must
    # hold: a batch-wide scale would keep an estimate 1e-4 off and call the exact gradient
    # wrong there.
    node = parse("sin(1000*x) + y")
    truth = 1000 * math.cos(300.0)
    batch = check_batch(node, {"x": np.array([0.3, 0.3]), "y": np.array([1e10, 0.0])},
                        [("x", ("x",))], [np.array([truth, truth])], timeout=0.0)
    alone = check_gradient(node, {"x": 0.3, "y": 0.0}, {"x": truth}, ["x"], timeout=0.0)
    estimate, tol = float(batch.finite_difference[0][1]), Tolerances()
    assert math.isnan(estimate) or abs(estimate - truth) <= tol.fd_atol + tol.fd_rtol * abs(truth)
    assert batch.agree()[1] is alone.agree is None


def test_a_batch_of_nested_derivatives_judges_like_check_derivative():
    node = parse("exp(sin(x))")
    xs = np.array([0.5, 1.0, -2.0])
    third = np.array([check_derivative(node, {"x": x}, ["x"] * 3).components[0].symbolic
                      for x in xs])
    batch = check_batch(node, {"x": xs}, [("x,x,x", ("x", "x", "x"))], [third])
    assert batch.agree() == [True, True, True]
    assert batch.names == ["x,x,x"]


def test_a_point_no_witness_could_judge_has_agree_null_not_true():
    # sin(3000 x) turns within the difference step, so the differences do not settle, and
    # with no time for sympy nothing judges: agree is null, as for a point alone.
    node, xs = parse("sin(3000*x) + x"), np.array([0.3, 0.4])
    _, grads = gradient(node, {"x": xs}, ["x"], batch=2)
    batch = check_batch(node, {"x": xs}, [("x", ("x",))], [grads["x"]], timeout=0.0)
    assert batch.agree() == [None, None]
    assert [json.loads(t)["agree"] for t in batch.json_texts()] == [None, None]
    alone = check_gradient(node, {"x": 0.3}, {"x": grads["x"][0]}, ["x"], timeout=0.0)
    assert alone.agree is None


def test_each_points_largest_gaps_are_its_own_against_the_exact_derivative():
    # d/dx (x**3 + relu(x - 1) + log(x)) = 3 x**2 + step(x - 1) + 1/x, by hand. Autograd
    # is off by 1e-6 at x = 2 and by 3e-6 at x = 1 (relu's kink: a convention, no error)
    # and at x = 0 (log's pole: undefined, no error); right at x = 0.5.
    node = parse("x**3 + relu(x - 1) + log(x)")
    xs = np.array([2.0, 1.0, 0.0, 0.5])
    exact = np.array([12 + 1 + 0.5, 3 + 1, math.nan, 0.75 + 2])
    wrong = exact + np.array([1e-6, 3e-6, 3e-6, 0.0])
    wrong[2] = math.inf
    batch = check_batch(node, {"x": xs}, [("x", ("x",))], [wrong])
    gaps, rels = batch.errors()
    assert gaps.tolist() == pytest.approx([1e-6, 0.0, 0.0, 0.0], abs=1e-12)
    assert rels.tolist() == pytest.approx([1e-6 / (13.5 + 1e-6), 0.0, 0.0, 0.0], abs=1e-12)
    docs = [json.loads(t) for t in batch.json_texts()]
    for i, doc in enumerate(docs):
        alone = check_gradient(node, {"x": xs[i]}, {"x": wrong[i]}).to_json()
        assert doc["max_abs_error"] == pytest.approx(alone["max_abs_error"], abs=1e-15)
        assert doc["max_rel_error"] == pytest.approx(alone["max_rel_error"], abs=1e-15)
    assert [d["components"][0]["status"] for d in docs] == [
        "mismatch", "convention", "undefined", "match"]


def test_without_sympy_the_gaps_are_to_the_differences():
    # d/dx x**3 = 3 x**2: 12 at x = 2 and 0.75 at x = 0.5, where autograd is off by 1e-3;
    # the estimate is within 1e-6. Relative to the larger: 12.001 and 0.751.
    node = parse("x**3")
    batch = check_batch(node, {"x": np.array([2.0, -1.0, 0.5])}, [("x", ("x",))],
                        [np.array([12.001, 3.0, 0.751])], timeout=0.0)
    gaps, rels = batch.errors()
    assert gaps.tolist() == pytest.approx([1e-3, 0.0, 1e-3], abs=1e-6)
    assert rels.tolist() == pytest.approx([1e-3 / 12.001, 0.0, 1e-3 / 0.751], abs=1e-5)
    assert batch.agree() == [False, True, False]


def test_where_autograd_is_off_the_formula_is_evaluated_exactly_not_in_floats():
    # d/dx (x - sin(x)) = 1 - cos(x): in doubles at x = 1e-5 that is 5.0000004e-11 (the
    # cancellation leaves 7 digits); its series x**2/2 - x**4/24 gives every digit.
    node = parse("x - sin(x)")
    xs = np.array([1e-5, 0.5])
    batch = check_batch(node, {"x": xs}, [("x", ("x",))], [np.array([0.0, 1 - math.cos(0.5)])])
    assert batch.symbolic[0][0] == pytest.approx(1e-10 / 2 - 1e-20 / 24, rel=1e-15)
    assert batch.symbolic[0][1] == pytest.approx(1 - math.cos(0.5), rel=1e-15)
    assert batch.agree() == [False, True]


def test_past_third_order_there_are_no_differences_and_without_sympy_no_verdict():
    # d4/dx4 x**5 = 120 x, by hand; finite differences stop at third order.
    node, xs = parse("x**5"), np.array([1.0, 2.0])
    entries = [("x,x,x,x", ("x",) * 4)]
    alone = check_batch(node, {"x": xs}, entries, [120 * xs], timeout=0.0)
    assert alone.finite_difference == [None] and alone.agree() == [None, None]
    assert alone.point(1).components[0].status == "unchecked"
    # The gaps skip the component no witness judged, not the ones after it: d/dx x**5
    # = 5 x**4 = 80 at x = 2, and autograd is off by 1e-3 there.
    both = check_batch(node, {"x": xs}, entries + [("x", ("x",))],
                       [120 * xs, 5 * xs**4 + [0.0, 1e-3]], timeout=0.0)
    assert both.errors()[0].tolist() == pytest.approx([0.0, 1e-3], abs=1e-6)
    judged = check_batch(node, {"x": xs}, entries, [120 * xs + [0.0, 1.0]])
    assert judged.symbolic[0].tolist() == [120.0, 240.0]
    assert judged.agree() == [True, False]


def test_names_and_formulas_with_a_percent_sign_are_written_as_they_are():
    # The %-template must not read a % in a name or a formula as a slot.
    batch = BatchCheck(1, ["a%s"], [np.array([1.0])], [np.array([1.0])], [None],
                       [np.array(["match"])], [{"symbolic": [True]}], {"a%s": "100%"}, None)
    (doc,) = [json.loads(t) for t in batch.json_texts()]
    assert doc == batch.point(0).to_json()
    assert doc["formula"] == {"a%s": "100%"} and doc["components"][0]["name"] == "a%s"
