"""Identities of The Matrix Cookbook (Petersen & Pedersen, version of November 15, 2012),
shared by the engine's tests (tests/autograd/test_matrix_cookbook.py) and the command
line's (tests/cli/test_matrix_check.py).

Values are seeded random matrices, non-square wherever the identity allows it and never
symmetric, so that a transposition mistake shows. The id starts with the Cookbook's
equation number.
"""

import inspect
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import diffcli as dc

inv = np.linalg.inv
det = np.linalg.det


def invertible(g, n):
    """A non-symmetric n x n matrix well away from singular."""
    return g.standard_normal((n, n)) + n * np.eye(n)


def const(values):
    return dc.tensor(values)


class Identity(NamedTuple):
    """One identity: `make(g) -> (X, constants)`, the left-hand side `f(X, *constants)` in
    engine ops and the right-hand side `closed_form(X, *constants)` in numpy; and the same
    two sides in the expression language, over the names of f's parameters."""

    id: str
    make: Callable
    f: Callable
    closed_form: Callable
    expression: str
    claim: str

    def values(self, seed: int = 2012) -> dict[str, np.ndarray]:
        """The identity's seeded values by name: X (or x) first, then the constants."""
        value, constants = self.make(np.random.default_rng(seed))
        names = list(inspect.signature(self.f).parameters)
        return dict(zip(names, (value, *constants), strict=True))


IDENTITIES = [
    Identity("eq49_det_X",
             lambda g: (invertible(g, 3), ()),
             lambda X: dc.det(X),
             lambda X: det(X) * inv(X).T,
             'det(X)', 'det(X)*inv(X).T'),
    Identity("eq51_det_AXB",
             lambda g: (invertible(g, 3), (invertible(g, 3), invertible(g, 3))),
             lambda X, A, B: dc.det(const(A) @ X @ const(B)),
             lambda X, A, B: det(A @ X @ B) * inv(X).T,
             'det(A@X@B)', 'det(A@X@B)*inv(X).T'),
    Identity("eq54_det_XtAX_nonsquare_X_nonsymmetric_A",
             lambda g: (g.standard_normal((4, 2)), (invertible(g, 4),)),
             lambda X, A: dc.det(X.T @ const(A) @ X),
             lambda X, A: det(X.T @ A @ X) * (A @ X @ inv(X.T @ A @ X) + A.T @ X @ inv(X.T @ A.T @ X)),
             'det(X.T@A@X)', 'det(X.T@A@X)*(A@X@inv(X.T@A@X) + A.T@X@inv(X.T@A.T@X))'),
    Identity("eq55_logdet_XtX_nonsquare",
             lambda g: (g.standard_normal((4, 2)), ()),
             lambda X: dc.logdet(X.T @ X),
             lambda X: 2 * np.linalg.pinv(X).T,
             'logdet(X.T@X)', '2*X@inv(X.T@X)'),
    Identity("eq57_log_abs_det_X_negative_det",
             lambda g: (invertible(g, 3) @ np.diag([1.0, 1.0, -1.0]), ()),
             lambda X: dc.log(dc.abs(dc.det(X))),
             lambda X: inv(X).T,
             'log(abs(det(X)))', 'inv(X).T'),
    Identity("eq57_logdet_X",
             lambda g: (invertible(g, 3), ()),
             lambda X: dc.logdet(X),
             lambda X: inv(X).T,
             'logdet(X)', "inv(X)'"),
    Identity("eq58_det_X_cubed",
             lambda g: (invertible(g, 3) / 3.0, ()),
             lambda X: dc.det(X @ X @ X),
             lambda X: 3 * det(X @ X @ X) * inv(X).T,
             'det(X@X@X)', '3*det(X@X@X)*inv(X).T'),
    Identity("eq61_aT_Xinv_b",
             lambda g: (invertible(g, 3), (g.standard_normal(3), g.standard_normal(3))),
             lambda X, a, b: const(a) @ dc.inv(X) @ const(b),
             lambda X, a, b: -inv(X).T @ np.outer(a, b) @ inv(X).T,
             'a@inv(X)@b', '-inv(X).T@outer(a, b)@inv(X).T'),
    Identity("eq62_det_Xinv",
             lambda g: (invertible(g, 3), ()),
             lambda X: dc.det(dc.inv(X)),
             lambda X: -det(inv(X)) * inv(X).T,
             'det(inv(X))', '-det(inv(X))*inv(X).T'),
    Identity("eq63_tr_A_Xinv_B_nonsquare_A_B",
             lambda g: (invertible(g, 3), (g.standard_normal((2, 3)), g.standard_normal((3, 2)))),
             lambda X, A, B: dc.trace(const(A) @ dc.inv(X) @ const(B)),
             lambda X, A, B: -(inv(X) @ B @ A @ inv(X)).T,
             'tr(A@inv(X)@B)', '-transpose(inv(X)@B@A@inv(X))'),
    Identity("eq64_tr_inv_X_plus_A",
             lambda g: (invertible(g, 3), (g.standard_normal((3, 3)),)),
             lambda X, A: dc.trace(dc.inv(X + const(A))),
             lambda X, A: -(inv(X + A) @ inv(X + A)).T,
             'trace(inv(X + A))', '-(inv(X + A)@inv(X + A)).T'),
    Identity("eq70_aT_X_b_nonsquare",
             lambda g: (g.standard_normal((3, 4)), (g.standard_normal(3), g.standard_normal(4))),
             lambda X, a, b: const(a) @ X @ const(b),
             lambda X, a, b: np.outer(a, b),
             'a@X@b', 'outer(a, b)'),
    Identity("eq71_aT_Xt_b_nonsquare",
             lambda g: (g.standard_normal((3, 4)), (g.standard_normal(4), g.standard_normal(3))),
             lambda X, a, b: const(a) @ X.T @ const(b),
             lambda X, a, b: np.outer(b, a),
             'a@X.T@b', 'outer(b, a)'),
    Identity("eq77_bT_XtX_c_nonsquare",
             lambda g: (g.standard_normal((4, 3)), (g.standard_normal(3), g.standard_normal(3))),
             lambda X, b, c: const(b) @ X.T @ X @ const(c),
             lambda X, b, c: X @ (np.outer(b, c) + np.outer(c, b)),
             'b@X.T@X@c', 'X@(outer(b, c) + outer(c, b))'),
    Identity("eq81_xT_B_x",
             lambda g: (g.standard_normal(4), (g.standard_normal((4, 4)),)),
             lambda x, B: x @ const(B) @ x,
             lambda x, B: (B + B.T) @ x,
             'x@B@x', '(B + B.T)@x'),
    Identity("eq83_Xb_plus_c_quadratic_form_nonsquare",
             lambda g: (g.standard_normal((4, 3)),
                        (g.standard_normal(3), g.standard_normal(4), g.standard_normal((4, 4)))),
             lambda X, b, c, D: (X @ const(b) + const(c)) @ const(D) @ (X @ const(b) + const(c)),
             lambda X, b, c, D: (D + D.T) @ np.outer(X @ b + c, b),
             '(X@b + c)@D@(X@b + c)', '(D + D.T)@outer(X@b + c, b)'),
    Identity("eq100_tr_XA_nonsquare",
             lambda g: (g.standard_normal((3, 4)), (g.standard_normal((4, 3)),)),
             lambda X, A: dc.trace(X @ const(A)),
             lambda X, A: A.T,
             'trace(X@A)', 'A.T'),
    Identity("eq101_tr_AXB_nonsquare",
             lambda g: (g.standard_normal((3, 4)), (g.standard_normal((2, 3)), g.standard_normal((4, 2)))),
             lambda X, A, B: dc.trace(const(A) @ X @ const(B)),
             lambda X, A, B: A.T @ B.T,
             'trace(A@X@B)', 'A.T@B.T'),
    Identity("eq102_tr_A_Xt_B_nonsquare",
             lambda g: (g.standard_normal((3, 4)), (g.standard_normal((2, 4)), g.standard_normal((3, 2)))),
             lambda X, A, B: dc.trace(const(A) @ X.T @ const(B)),
             lambda X, A, B: B @ A,
             'trace(A@X.T@B)', 'B@A'),
    Identity("eq106_tr_X_squared",
             lambda g: (g.standard_normal((3, 3)), ()),
             lambda X: dc.trace(X @ X),
             lambda X: 2 * X.T,
             'trace(X@X)', '2*X.T'),
    Identity("eq108_tr_Xt_B_X_nonsquare",
             lambda g: (g.standard_normal((4, 3)), (g.standard_normal((4, 4)),)),
             lambda X, B: dc.trace(X.T @ const(B) @ X),
             lambda X, B: B @ X + B.T @ X,
             'trace(X.T@B@X)', 'B@X + B.T@X'),
    Identity("eq114_tr_AXBX_nonsquare",
             lambda g: (g.standard_normal((3, 2)), (g.standard_normal((2, 3)), g.standard_normal((2, 3)))),
             lambda X, A, B: dc.trace(const(A) @ X @ const(B) @ X),
             lambda X, A, B: A.T @ X.T @ B.T + B.T @ X.T @ A.T,
             'trace(A@X@B@X)', 'A.T@X.T@B.T + B.T@X.T@A.T'),
    Identity("eq115_tr_XtX_nonsquare",
             lambda g: (g.standard_normal((3, 4)), ()),
             lambda X: dc.trace(X.T @ X),
             lambda X: 2 * X,
             'trace(X.T@X)', '2*X'),
    Identity("eq116_tr_Bt_Xt_C_X_B_nonsquare",
             lambda g: (g.standard_normal((4, 3)), (g.standard_normal((3, 2)), g.standard_normal((4, 4)))),
             lambda X, B, C: dc.trace(const(B).T @ X.T @ const(C) @ X @ const(B)),
             lambda X, B, C: C.T @ X @ B @ B.T + C @ X @ B @ B.T,
             'trace(B.T@X.T@C@X@B)', 'C.T@X@B@B.T + C@X@B@B.T'),
    Identity("eq118_tr_A_X_B_Xt_C_nonsquare",
             lambda g: (g.standard_normal((4, 3)),
                        (g.standard_normal((2, 4)), g.standard_normal((3, 3)), g.standard_normal((4, 2)))),
             lambda X, A, B, C: dc.trace(const(A) @ X @ const(B) @ X.T @ const(C)),
             lambda X, A, B, C: A.T @ C.T @ X @ B.T + C @ A @ X @ B,
             'trace(A@X@B@X.T@C)', 'A.T@C.T@X@B.T + C@A@X@B'),
    Identity("eq119_tr_AXB_plus_C_squared_nonsquare",
             lambda g: (g.standard_normal((3, 4)),
                        (g.standard_normal((2, 3)), g.standard_normal((4, 5)), g.standard_normal((2, 5)))),
             lambda X, A, B, C: dc.trace((const(A) @ X @ const(B) + const(C))
                                         @ (const(A) @ X @ const(B) + const(C)).T),
             lambda X, A, B, C: 2 * A.T @ (A @ X @ B + C) @ B.T,
             'trace((A@X@B + C)@(A@X@B + C).T)', '2*A.T@(A@X@B + C)@B.T'),
    Identity("eq121_tr_X_to_the_4",
             lambda g: (g.standard_normal((3, 3)), ()),
             lambda X: dc.trace(X @ X @ X @ X),
             lambda X: 4 * (X @ X @ X).T,
             'trace(X@X@X@X)', '4*(X@X@X).T'),
    Identity("eq129_norm_x_minus_a",
             lambda g: (g.standard_normal(4), (g.standard_normal(4),)),
             lambda x, a: dc.norm(x - const(a)),
             lambda x, a: (x - a) / np.sqrt(((x - a) ** 2).sum()),
             'norm(x - a)', '(x - a)/norm(x - a)'),
    Identity("eq131_squared_norm_x",
             lambda g: (g.standard_normal(5), ()),
             lambda x: dc.norm(x) ** 2,
             lambda x: 2 * x,
             'norm(x)**2', '2*x'),
    Identity("eq132_squared_frobenius_norm_X",
             lambda g: (g.standard_normal((3, 4)), ()),
             lambda X: dc.norm(X) ** 2,
             lambda X: 2 * X,
             'norm(X)**2', '2*X'),
]
