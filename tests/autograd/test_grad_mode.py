"""Grad mode: no_grad, enable_grad, set_grad_enabled as context managers and decorators, per thread."""

import threading

import numpy as np
import pytest

import diffcli as dc


def test_grad_is_enabled_by_default():
    assert dc.is_grad_enabled() is True


def test_no_grad_context_records_no_graph():
    x = dc.tensor([1.0], requires_grad=True)
    with dc.no_grad():
        assert dc.is_grad_enabled() is False
        y = x * 2
    assert dc.is_grad_enabled() is True
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert y.is_leaf


def test_no_grad_as_decorator():
    x = dc.tensor([1.0], requires_grad=True)

    @dc.no_grad()
    def double(t):
        assert not dc.is_grad_enabled()
        return t * 2

    y = double(x)
    assert y.requires_grad is False
    assert dc.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = dc.tensor([1.0], requires_grad=True)
    with dc.no_grad():
        with dc.enable_grad():
            assert dc.is_grad_enabled()
            y = x * 2
        assert not dc.is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None


def test_enable_grad_as_decorator():
    x = dc.tensor([3.0], requires_grad=True)

    @dc.enable_grad()
    def square(t):
        return t * t

    with dc.no_grad():
        y = square(x)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [6.0])


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_as_context_manager(mode):
    x = dc.tensor([1.0], requires_grad=True)
    with dc.set_grad_enabled(mode):
        assert dc.is_grad_enabled() is mode
        y = x * 2
    assert dc.is_grad_enabled() is True
    assert y.requires_grad is mode


def test_set_grad_enabled_as_decorator():
    x = dc.tensor([1.0], requires_grad=True)

    @dc.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert double(x).requires_grad is False
    assert dc.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), dc.no_grad():
        raise ValueError("boom")
    assert dc.is_grad_enabled()


def test_grad_mode_is_per_thread():
    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def worker():
        with dc.no_grad():
            seen["worker_in_no_grad"] = dc.is_grad_enabled()
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    # The worker sits inside no_grad; this thread must still record.
    seen["main_while_worker_off"] = dc.is_grad_enabled()
    x = dc.tensor([1.0], requires_grad=True)
    seen["main_result_requires_grad"] = (x * 2).requires_grad
    release.set()
    thread.join(5)

    with dc.no_grad():
        other = {}
        t = threading.Thread(target=lambda: other.setdefault("enabled", dc.is_grad_enabled()))
        t.start()
        t.join(5)
    assert seen == {
        "worker_in_no_grad": False,
        "main_while_worker_off": True,
        "main_result_requires_grad": True,
    }
    assert other == {"enabled": True}  # a new thread starts with grad enabled


def test_no_grad_and_enable_grad_work_as_bare_decorators():
    x = dc.tensor([1.0], requires_grad=True)

    @dc.no_grad
    def off(t):
        return t * 2

    @dc.enable_grad
    def on(t):
        return t * 2

    assert off(x).requires_grad is False
    with dc.no_grad():
        assert on(x).requires_grad is True
