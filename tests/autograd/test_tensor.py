"""Tensors: creation, attributes, leaf rules, .grad, hooks, in-place operations, repr.

The truth for each test is PyTorch's documented behaviour or a number worked by hand.
"""

import re
import warnings

import numpy as np
import pytest

import diffcli as dc


def test_python_floats_and_ints_become_float64():
    assert dc.tensor(3).dtype == np.float64
    assert dc.tensor([1, 2, 3]).dtype == np.float64
    assert dc.tensor([[1.5, 2.0]]).dtype == np.float64
    np.testing.assert_array_equal(dc.tensor([[1, 2], [3, 4]]).data, [[1.0, 2.0], [3.0, 4.0]])


def test_numpy_array_is_accepted_with_its_values():
    arr = np.arange(6.0).reshape(2, 3)
    t = dc.tensor(arr)
    assert t.shape == (2, 3)
    np.testing.assert_array_equal(t.data, arr)


def test_from_numpy_shares_memory_both_ways_and_keeps_the_dtype():
    # torch.from_numpy: "Modifications to the tensor will be reflected in the ndarray and
    # vice versa"; the dtype is the array's.
    a = np.array([1.0, 2.0])
    t = dc.from_numpy(a)
    a[0] = 9.0
    t.mul_(2.0)
    np.testing.assert_array_equal(a, [18.0, 4.0])
    np.testing.assert_array_equal(t.data, [18.0, 4.0])
    assert dc.from_numpy(np.arange(3)).dtype == np.int64
    assert dc.from_numpy(np.zeros(2, np.float32)).dtype == np.float32


def test_from_numpy_gives_a_leaf_that_can_be_differentiated():
    w = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]])).requires_grad_()
    x = dc.from_numpy(np.array([1.0, 5.0]))
    (w @ x).sum().backward()
    assert w.is_leaf and not x.requires_grad
    np.testing.assert_array_equal(w.grad.data, [[1.0, 5.0], [1.0, 5.0]])


@pytest.mark.parametrize(
    ("value", "message"),
    [([1.0], r"expected np.ndarray \(got list\)"),
     (np.float64(2.0), r"expected np.ndarray \(got numpy.float64\)"),
     (np.array(["a"]), r"can't convert np.ndarray of type numpy.str_"),
     (np.array([None]), r"can't convert np.ndarray of type numpy.object_")],
    ids=["list", "numpy scalar", "strings", "objects"],
)
def test_from_numpy_refuses_what_torch_refuses_with_its_words(value, message):
    with pytest.raises(TypeError, match=message):
        dc.from_numpy(value)


def test_from_numpy_warns_that_a_read_only_array_cannot_be_written():
    a = np.array([1.0, 2.0])
    a.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = dc.from_numpy(a)
    np.testing.assert_array_equal((t * 2.0).data, [2.0, 4.0])


def test_dtype_argument_overrides_the_float64_default():
    assert dc.tensor([1, 2], dtype=np.int64).dtype == np.int64
    assert dc.tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_requires_grad_on_integer_dtype_raises():
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        dc.tensor([1, 2], dtype=np.int64, requires_grad=True)


def test_requires_grad_underscore_on_integer_dtype_raises():
    t = dc.tensor([1, 2], dtype=np.int64)
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        t.requires_grad_()


def test_attributes_read_like_pytorch():
    t = dc.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert tuple(t.size()) == (2, 3)
    assert t.requires_grad is False
    assert t.grad is None
    assert t.grad_fn is None
    assert isinstance(t.data, np.ndarray)
    assert isinstance(t.numpy(), np.ndarray)
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert dc.tensor([7.5]).item() == 7.5
    assert isinstance(dc.tensor(7.5).item(), float)


def test_tensor_without_requires_grad_is_a_leaf():
    a = dc.tensor([1.0])
    b = a * 2
    assert a.is_leaf and b.is_leaf
    assert b.requires_grad is False and b.grad_fn is None


def test_user_tensor_with_requires_grad_is_a_leaf_without_grad_fn():
    x = dc.tensor([2.0], requires_grad=True)
    assert x.is_leaf
    assert x.requires_grad
    assert x.grad_fn is None


def test_result_of_op_on_tensor_requiring_grad_is_non_leaf():
    x = dc.tensor([2.0], requires_grad=True)
    c = dc.tensor([3.0])
    z = x * c
    assert not z.is_leaf
    assert z.requires_grad
    assert z.grad_fn is not None
    assert z.grad_fn.name() == "MulBackward"


def test_spec_example_gradients():
    x = dc.tensor([2.0], requires_grad=True)
    y = dc.tensor([3.0], requires_grad=True)
    z = x**3 + y**2
    z.backward()
    # d/dx x^3 = 3*2^2 = 12, d/dy y^2 = 2*3 = 6
    np.testing.assert_allclose(x.grad.data, [12.0])
    np.testing.assert_allclose(y.grad.data, [6.0])


def test_grad_of_non_leaf_is_none_with_user_warning_naming_retain_grad():
    x = dc.tensor([2.0], requires_grad=True)
    y = x * 3
    (y * y).sum().backward()
    with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
        assert y.grad is None


def test_grad_of_leaf_does_not_warn():
    x = dc.tensor([2.0], requires_grad=True)
    (x * x).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(x.grad.data, [4.0])


def test_retain_grad_keeps_non_leaf_gradient():
    x = dc.tensor([2.0, -1.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    assert not x.retains_grad  # leaves never "retain": their .grad is kept anyway
    (y * y).sum().backward()
    # d/dy sum(y^2) = 2y = 2*3x
    np.testing.assert_allclose(y.grad.data, [12.0, -6.0])
    np.testing.assert_allclose(x.grad.data, [36.0, -18.0])


def test_gradients_accumulate_across_backward_calls():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * 2 * np.array([1.0, 2.0]))


def test_setting_grad_to_none_resets_accumulation():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])


def test_grad_zero_underscore_resets_accumulation():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])


def test_broadcast_gradients_come_back_in_each_input_shape():
    a = dc.tensor(np.ones((2, 3)), requires_grad=True)
    b = dc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = dc.tensor([[10.0], [20.0]], requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (2, 3)
    assert b.grad.shape == (3,)
    assert c.grad.shape == (2, 1)
    # d/db_j sum_ij a_ij b_j c_i = sum_i c_i = 30; d/dc_i = sum_j b_j = 6
    np.testing.assert_allclose(b.grad.data, [30.0, 30.0, 30.0])
    np.testing.assert_allclose(c.grad.data, [[6.0], [6.0]])
    np.testing.assert_allclose(a.grad.data, [[10.0, 20.0, 30.0], [20.0, 40.0, 60.0]])


def test_repr_reads_like_pytorch():
    x = dc.tensor([2.0], requires_grad=True)
    assert repr(x * 6) == "tensor([12.], grad_fn=<MulBackward>)"
    assert repr(x) == "tensor([2.], requires_grad=True)"
    assert repr(dc.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"


def test_detach_shares_values_but_leaves_the_graph():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.requires_grad is False
    assert d.grad_fn is None
    assert d.is_leaf
    np.testing.assert_array_equal(d.data, [3.0, 6.0])
    # Only the path through y carries gradient; d is a constant.
    (y * d).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * np.array([3.0, 6.0]))


def test_requires_grad_underscore_turns_a_leaf_on_and_returns_it():
    x = dc.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    x.requires_grad_(False)
    assert not x.requires_grad


def test_hook_can_replace_the_gradient():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [20.0, 40.0])


def test_hook_returning_none_observes_without_changing():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    (x * x).sum().backward()
    assert seen == [[2.0, 4.0]]
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_removed_hook_no_longer_runs():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    handle.remove()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_hook_on_non_leaf_changes_gradient_flowing_upstream():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 0.5)
    (y * 3).sum().backward()
    # unhooked: 3 * 2 = 6 per element; halved at y
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_inplace_ops_update_values():
    t = dc.tensor([1.0, 2.0])
    t.add_(dc.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(t.data, [2.0, 3.0])
    t.sub_(dc.tensor([0.5, 0.5]))
    np.testing.assert_array_equal(t.data, [1.5, 2.5])
    t.mul_(dc.tensor([2.0, 4.0]))
    np.testing.assert_array_equal(t.data, [3.0, 10.0])
    t += 1.0
    t -= 2.0
    t *= 3.0
    np.testing.assert_array_equal(t.data, [6.0, 27.0])
    t.zero_()
    np.testing.assert_array_equal(t.data, [0.0, 0.0])


def test_augmented_assignment_keeps_the_same_tensor_object():
    t = dc.tensor([1.0, 2.0])
    before = t
    t += 1.0
    assert t is before


def test_inplace_on_leaf_requiring_grad_raises():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    msg = re.escape("a leaf Variable that requires grad is being used in an in-place operation.")
    with pytest.raises(RuntimeError, match=msg):
        x.add_(dc.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match=msg):
        x *= 2.0


def test_inplace_on_leaf_under_no_grad_is_the_optimizer_step():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    with dc.no_grad():
        x -= x.grad * 0.25
    np.testing.assert_allclose(x.data, [0.5, 1.0])
    assert x.is_leaf and x.requires_grad and x.grad_fn is None


def test_inplace_on_non_leaf_is_differentiable():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    a.add_(x)
    a.mul_(3.0)
    a.sum().backward()
    # a = 3 * (2x + x) = 9x
    np.testing.assert_allclose(x.grad.data, [9.0, 9.0])


def test_saved_value_modified_in_place_makes_backward_raise():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = dc.sin(a)  # saves a for cos(a)
    a.add_(1.0)
    with pytest.raises(
        RuntimeError,
        match="one of the variables needed for gradient computation has been modified "
        "by an inplace operation",
    ):
        b.sum().backward()


def test_inplace_on_value_not_saved_is_fine():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a + 1.0  # addition saves nothing
    a.add_(1.0)
    b.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_tensor_copies_numpy_input_like_torch_tensor():
    arr = np.array([1.0, 2.0])
    t = dc.tensor(arr)
    arr[0] = 99.0
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_repr_of_zero_dim_and_matrix_tensors_reads_like_pytorch():
    x = dc.tensor(2.0, requires_grad=True)
    assert repr(x * 3) == "tensor(6., grad_fn=<MulBackward>)"
    assert repr(dc.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(dc.tensor([0.5, 1.25])) == "tensor([0.5000, 1.2500])"


def test_hook_sees_the_total_gradient_once_when_a_tensor_is_used_twice():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    (x * 3 + x * x).sum().backward()
    assert seen == [[5.0, 7.0]]  # 3 + 2x


def test_user_set_grad_is_accumulated_onto():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    x.grad = dc.tensor([10.0, 10.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 14.0])


def test_creation_helpers_match_their_pytorch_namesakes():
    np.testing.assert_array_equal(dc.zeros(2, 3).data, np.zeros((2, 3)))
    np.testing.assert_array_equal(dc.ones(2).data, [1.0, 1.0])
    base = dc.tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(dc.zeros_like(base).data, [[0.0, 0.0]])
    np.testing.assert_array_equal(dc.ones_like(base).data, [[1.0, 1.0]])
    np.testing.assert_array_equal(dc.full((2,), 7.0).data, [7.0, 7.0])
    np.testing.assert_array_equal(dc.eye(2).data, [[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(dc.arange(0, 1, 0.25).data, [0.0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(dc.linspace(0, 1, 5).data, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert dc.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_rand_and_randn_reproducible():
    dc.manual_seed(7)
    first = (dc.rand(3).tolist(), dc.randn(2, 2).tolist())
    dc.manual_seed(7)
    second = (dc.rand(3).tolist(), dc.randn(2, 2).tolist())
    assert first == second
    assert all(0.0 <= v < 1.0 for v in first[0])
    assert dc.randn(2, 2).shape == (2, 2)


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        dc.tensor([1.0]).register_hook(lambda g: g)


def test_leaf_changed_under_no_grad_after_being_saved_makes_backward_raise():
    x = dc.tensor([1.0, 2.0], requires_grad=True)
    y = dc.sin(x)
    with dc.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
