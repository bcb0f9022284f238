"""Ops whose backward needs a mask (where, clamp, maximum, amax, max along a dim) free it
after a pass, so a second pass without retain_graph raises, as it does in PyTorch."""

import pytest

import diffcli as dc

SECOND_TIME = "Trying to backward through the graph a second time"

MASKED = {
    "where": lambda x: dc.where(x.data > 0, x, x),
    "clamp": lambda x: dc.clamp(x, -1.0, 1.0),
    "maximum": lambda x: dc.maximum(x, dc.tensor(0.5)),
    "amax": lambda x: x.amax(),
    "max along a dim": lambda x: x.max(dim=0).values,
}


@pytest.mark.parametrize("op", MASKED.values(), ids=MASKED.keys())
def test_second_backward_through_a_masked_op_raises(op):
    x = dc.tensor([1.0, -2.0], requires_grad=True)
    y = op(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.backward()


@pytest.mark.parametrize("op", MASKED.values(), ids=MASKED.keys())
def test_retain_graph_keeps_the_mask_for_another_pass(op):
    x = dc.tensor([1.0, -2.0], requires_grad=True)
    y = op(x).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    assert (x.grad.data == 2 * first).all()
