"""The Matrix Cookbook's identities (tests/matrix_cookbook.py) in the engine.

Each case differentiates the left-hand side with the engine and compares the gradient
with the Cookbook's right-hand side written in numpy, then checks the same gradient
against central differences (gradcheck).
"""

import numpy as np
import pytest
from matrix_cookbook import IDENTITIES

import diffcli as dc
from diffcli import autograd
from diffcli.autograd import gradcheck


@pytest.mark.parametrize("identity", IDENTITIES, ids=[i.id for i in IDENTITIES])
def test_gradient_matches_the_cookbook_and_central_differences(identity):
    value, *constants = identity.values().values()
    f, closed_form = identity.f, identity.closed_form
    x = dc.tensor(value, requires_grad=True)
    (grad,) = autograd.grad(f(x, *constants), x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad.data, closed_form(value, *constants), rtol=1e-9, atol=1e-11)
    assert gradcheck(lambda t: f(t, *constants), (x,))
