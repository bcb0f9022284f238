"""Tensor: a numpy array, its gradient, and its place in the graph.

This module is the engine's ground floor: it imports neither the operations nor the
backward pass. ``ops.py`` attaches the arithmetic operators and methods; ``backward``
reaches the engine through a function-level import.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .grad_mode import state

_FLOAT_KINDS = "fc"


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Numbers and nested lists become float64 unless a dtype says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    array = _array(data, dtype)
    if dtype is not None:
        return array
    if array.dtype.kind in "iu" and not isinstance(data, np.ndarray):
        return array.astype(np.float64)
    if array.dtype.kind not in _NUMPY_KINDS:
        raise TypeError(f"tensor data must be numbers, got {array.dtype}")
    return array


def _array(data: Any, dtype: Any) -> np.ndarray:
    if not isinstance(data, (list, tuple)):
        return np.array(data, dtype=dtype)
    try:
        array = np.array(data)
    except ValueError:  # ragged, perhaps only because a Tensor looks like a sequence
        array = None
    if array is None or array.dtype.kind == "O":
        # Tensors inside the lists: read each as its number, as torch.tensor does.
        array = np.array(_scalars_for_tensors(data))
    return array if dtype is None else array.astype(dtype)


def _scalars_for_tensors(data: list | tuple) -> list:
    """Nested lists with each one-element Tensor replaced by its number, as torch.tensor does."""
    return [
        _scalars_for_tensors(item) if isinstance(item, (list, tuple))
        else _scalar_of(item) if isinstance(item, Tensor)
        else item
        for item in data
    ]


def _scalar_of(t: Tensor) -> Any:
    if t.data.size != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return t.data.item()


def _check_can_require_grad(array: np.ndarray) -> None:
    if array.dtype.kind not in _FLOAT_KINDS:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    >>> x = tensor([2.0], requires_grad=True)
    >>> (x ** 3).backward(); x.grad
    tensor([12.])
    """

    __slots__ = (
        "data",
        "_requires_grad",
        "grad_fn",
        "_output_nr",
        "_version_counter",
        "_grad",
        "_hooks",
        "_accumulator",
        "_retains_grad",
        "__weakref__",
    )
    # numpy must hand mixed expressions (ndarray * Tensor) back to our operators.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        array = _as_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(array)
        self.data = array
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = None
        self._grad = None
        self._hooks = None
        self._accumulator = None
        self._retains_grad = False

    # -- identity and metadata -------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's values have seen, aliases' included."""
        counter = self._version_counter
        return 0 if counter is None else len(counter)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    __hash__ = object.__hash__

    # -- gradient ----------------------------------------------------------------------
    @property
    def grad(self) -> Tensor | None:
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad must be a Tensor or None, got {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size"
                )
        self._grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad:
            _check_can_require_grad(self.data)
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Make a non-leaf keep its ``.grad`` after backward (a no-op on leaves)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retain(self._output_nr, weakref.ref(self))

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            hooks = self.grad_fn._hooks_for(self._output_nr)
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | Tensor | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (or only into ``inputs``)."""
        from .engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data and version counter, cut from the graph.

        An in-place change through either is seen by both, and by every backward that
        saved one of them, as in PyTorch.
        """
        if type(self.data) is not np.ndarray:
            # A numpy scalar cannot be written in place: share a 0-d array instead.
            self.data = np.array(self.data)
        alias = _make(self.data)
        alias._version_counter = shared_version_counter(self)
        return alias

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion ----------------------------------------------------------------------
    def item(self) -> float:
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        if self._requires_grad and state.grad_enabled:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return np.asarray(self.data)

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(
            np.asarray(self.data), separator=", ", prefix="tensor(", formatter=_formatter(self.data)
        )
        extras = []
        if self.data.dtype != np.float64 and self.data.dtype.kind != "b":
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"


def _formatter(data: Any) -> dict[str, Callable]:
    """PyTorch's choice: ``12.`` for whole numbers, 4 decimals, or 4-digit scientific."""
    array = np.asarray(data)
    if array.dtype.kind != "f":
        return {}
    finite = np.abs(array[np.isfinite(array)])
    if finite.size and np.all(finite == np.round(finite)) and finite.max() < 1e8:
        return {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
    nonzero = finite[finite != 0]
    if nonzero.size and (
        nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8 or nonzero.min() < 1e-4
    ):
        return {"float_kind": lambda v: f"{v:.4e}"}
    return {"float_kind": lambda v: f"{v:.4f}"}


def size_text(shape: tuple[int, ...]) -> str:
    """A shape as PyTorch's messages print a ``torch.Size``, so that errors read the same."""
    return f"torch.Size({list(shape)})"


_new = object.__new__


def shared_version_counter(t: Tensor) -> bytearray:
    """What counts ``t``'s versions, made on first need: a bytearray whose length is the version.

    Tensors that share values (a tensor, its detached aliases, numpy views of it) share
    it; until something needs it, a tensor has none and is at version 0. A bytearray,
    not a one-element list, because the cyclic GC does not track it: a node keeps one
    for each tensor it saved, and a list would be one more object per node for every
    collection to scan. An in-place change appends a byte (``bump_version``).
    """
    counter = t._version_counter
    if counter is None:
        counter = t._version_counter = bytearray()
    return counter


def bump_version(t: Tensor) -> None:
    """Count one in-place change of ``t``'s values (seen by its aliases too)."""
    shared_version_counter(t).append(0)


def _make(
    data: np.ndarray, requires_grad: bool = False, grad_fn: Any = None, nr: int = 0
) -> Tensor:
    """Wrap an array without conversion or checks: the engine's hot path."""
    t = _new(Tensor)
    t.data = data
    t._requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._output_nr = nr
    t._version_counter = None
    t._grad = None
    t._hooks = None
    t._accumulator = None
    t._retains_grad = False
    return t


_NUMPY_KINDS = "fciub"  # the numpy dtype kinds a tensor holds: floats, complex, ints, bools


def from_numpy(array: np.ndarray) -> Tensor:
    """A leaf tensor on ``array``'s own memory, as ``torch.from_numpy``: no copy, the dtype
    kept, and a change through either is seen by the other.

    >>> from_numpy(np.array([1.0, 2.0])).requires_grad_()
    tensor([1., 2.], requires_grad=True)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(array)})")
    if array.dtype.kind not in _NUMPY_KINDS:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{array.dtype.type.__name__}. The only "
            "supported types are: floating point, complex, integer and bool."
        )
    if not array.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable: an in-place change of this tensor will "
            "fail. Copy the array, or make it writable, before converting it to a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return _make(np.asarray(array))  # a subclass (np.matrix) is seen as a plain array


def _type_name(value: Any) -> str:
    """A value's type as PyTorch's messages name it: ``list``, ``numpy.float64``."""
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a leaf tensor from a number, nested lists or a numpy array (float64 by default).

    >>> x = tensor([2.0, 3.0], requires_grad=True)
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)
