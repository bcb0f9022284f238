"""Grad mode: whether operations record a graph. Per thread, as in PyTorch."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _ThreadState(threading.local):
    """Per-thread flags; a new thread starts with recording on and anomaly mode off."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly_enabled = False
        self.anomaly_check_nan = True
        self.backward_depth = 0  # backward passes running in this thread, nested


state = _ThreadState()


def snapshot() -> dict[str, Any]:
    """This thread's flags, for a thread that works on its behalf."""
    return dict(vars(state))


def adopt(flags: dict[str, Any]) -> None:
    """Take on another thread's flags (from ``snapshot``)."""
    vars(state).update(flags)


def is_grad_enabled() -> bool:
    """Whether operations in this thread record the graph for backward."""
    return state.grad_enabled


class _GradModeContext:
    """Shared body of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    _mode: bool

    def __enter__(self) -> None:
        self._previous = state.grad_enabled
        state.grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._previous

    def __call__(self, fn: F) -> F:
        mode = self._mode
        if inspect.isgeneratorfunction(fn):
            return _generator_in_mode(fn, mode)  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _generator_in_mode(fn: Callable[..., Generator], mode: bool) -> Callable[..., Generator]:
    """Wrap a generator function so that its body runs in ``mode`` at every resumption and the
    caller's mode holds between them, as PyTorch does (coroutines are not wrapped, as there)."""

    @functools.wraps(fn)
    def generator(*args: Any, **kwargs: Any) -> Generator:
        inner = fn(*args, **kwargs)
        try:
            with set_grad_enabled(mode):
                response = inner.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with set_grad_enabled(mode):
                        inner.close()
                    raise
                except BaseException as thrown:
                    with set_grad_enabled(mode):
                        response = inner.throw(thrown)
                else:
                    with set_grad_enabled(mode):
                        response = inner.send(request)
        except StopIteration as stop:
            return stop.value

    return generator


class _BareDecoratorContext(_GradModeContext):
    """Also usable as a bare decorator, ``@no_grad``, as in PyTorch 2."""

    def __new__(cls, fn: F | None = None) -> Any:
        instance = super().__new__(cls)
        return instance if fn is None else instance(fn)

    def __init__(self, fn: F | None = None) -> None:
        pass


class no_grad(_BareDecoratorContext):
    """Turn recording off: results of operations have ``requires_grad=False``.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    _mode = False


class enable_grad(_BareDecoratorContext):
    """Turn recording on, e.g. inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set recording on or off; takes effect at once, like PyTorch's, and undoes itself as a context."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._previous = state.grad_enabled
        state.grad_enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._previous

    def __call__(self, fn: F) -> F:
        # Used as a decorator, the constructor's immediate switch must not leak out.
        state.grad_enabled = self._previous
        return super().__call__(fn)
