"""Function and its context: the one way a node enters the graph.

Built-in operations and user-defined ``Function`` subclasses are applied by the same
``Function.apply``. The context object handed to ``forward`` and ``backward`` *is* the
graph node (``output.grad_fn``), as in PyTorch.
"""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import state
from .tensor import Tensor, _make, shared_version_counter

SECOND_BACKWARD_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A vertex of the backward graph: receives the gradients of its forward outputs."""

    __slots__ = ("__weakref__", "__dict__")
    # Defaults live on the class so that the hot path sets only what it uses.
    _edges: tuple = ()
    _arity = 0  # how many forward inputs, each with an edge (a leaf's accumulator has none)
    _output_shapes: tuple = ()
    _tensor_hooks: dict | None = None
    _retained: dict | None = None
    _metadata: dict | None = None

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """Where each input's gradient goes: ``(node, output_nr)``, ``(None, 0)`` for none."""
        edges = self._edges
        return tuple(zip(edges[::2], edges[1::2]))

    @property
    def metadata(self) -> dict:
        """Free-form annotations (e.g. ``metadata["source"]``, shown in anomaly errors)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def _hooks_for(self, output_nr: int) -> list:
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return self._tensor_hooks.setdefault(output_nr, [])

    def _retain(self, output_nr: int, tensor_ref: weakref.ref) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[output_nr] = tensor_ref

    def _prepare_grads(self, grads: list) -> list:
        """Run tensor hooks on incoming gradients, then fill retained ``.grad`` fields."""
        if self._tensor_hooks:
            for nr, hooks in self._tensor_hooks.items():
                for hook in hooks:
                    if grads[nr] is not None:
                        replaced = hook(grads[nr])
                        if replaced is not None:
                            grads[nr] = replaced
        if self._retained:
            for nr, ref in self._retained.items():
                tensor = ref()
                if tensor is not None and grads[nr] is not None:
                    tensor._grad = _accumulated(tensor._grad, grads[nr])
        return grads

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


def _accumulated(existing: Tensor | None, new: Tensor) -> Tensor:
    """``existing + new`` for a ``.grad`` field: a private copy first, in place later.

    Recorded (out of place) while grad mode is on, i.e. under ``create_graph``. The copy
    matters: one gradient tensor often flows to several inputs (``x + y``).
    """
    if existing is None:
        if state.grad_enabled:
            return new.clone()
        return _make(np.array(new.data, dtype=np.result_type(new.data, np.float64)))
    if state.grad_enabled or existing._requires_grad:
        return existing + new
    existing.data += new.data
    return existing


class AccumulateGrad(Node):
    """The node behind a leaf: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @property
    def _output_shapes(self) -> tuple:  # type: ignore[override]
        return (self.variable.data.shape,)

    @property
    def _tensor_hooks(self) -> dict | None:  # type: ignore[override]
        # A leaf keeps its hooks itself: its accumulator may come and go.
        hooks = self.variable._hooks
        return {0: hooks} if hooks else None

    def accumulate(self, grad: Tensor) -> None:
        self.variable._grad = _accumulated(self.variable._grad, grad)


def accumulator_of(leaf: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, made on first use and shared while it lives."""
    ref = leaf._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf._accumulator = weakref.ref(node)
    return node


class _SavedOutput:
    """A forward output kept for backward without a reference cycle (output -> node -> output).

    Holding no reference to the output tensor, it holds its version counter, which the
    output and its aliases bump on every in-place change.
    """

    __slots__ = ("nr", "data", "version", "counter")

    def __init__(self, out: Tensor, nr: int) -> None:
        self.nr, self.data = nr, out.data
        counter = out._version_counter
        if counter is None:  # shared_version_counter, written out: a fresh output has none
            counter = out._version_counter = bytearray()
        self.counter, self.version = counter, len(counter)


# Most saved values were never modified in place: they share one tuple of zeros.
_ZERO_VERSIONS = {n: (0,) * n for n in range(8)}
# Stands in for the counter of a tensor that has none yet (one that is at version 0).
_UNCOUNTED = b""
# In ``_saved_versions``: the node keeps only the second operand, a constant (``x * 2.0``),
# bare in ``_saved``: a tuple ``(None, 2.0)`` would be one more object per node for the GC.
_CONSTANT_SECOND = object()


def _versions_of(values: tuple) -> tuple[int, ...]:
    for v in values:
        if type(v) is Tensor and v._version_counter:  # an empty counter is at version 0
            break
    else:  # the common case: nothing saved was ever changed in place
        zeros = _ZERO_VERSIONS.get(len(values))
        if zeros is not None:
            return zeros
    return tuple([len(v._version_counter or _UNCOUNTED) if type(v) is Tensor else 0
                  for v in values])


class BackwardNode(Node):
    """The context of one Function application (``ctx``) and its node in the graph."""

    # The edges of the first two inputs live in slots rather than in a tuple: one object
    # fewer per node for the cyclic GC to scan, and less memory; ``_more`` holds the rest.
    __slots__ = (
        "_arity",
        "_child0",
        "_nr0",
        "_child1",
        "_nr1",
        "_more",
        "_output_shapes",
        "needs_input_grad",
        "_saved",
        "_saved_versions",
        "_inputs",
    )
    _function: type[Function]
    _materialize_grads = True
    _non_differentiable: tuple = ()
    _freed = False

    @property  # type: ignore[override]
    def _edges(self) -> tuple:
        """The flat edges, ``(node_0, nr_0, node_1, nr_1, ...)``, built from the slots."""
        arity = self._arity
        if arity == 1:
            return (self._child0, self._nr0)
        if arity == 2:
            return (self._child0, self._nr0, self._child1, self._nr1)
        if arity == 0:
            return ()
        return (self._child0, self._nr0, self._child1, self._nr1, *self._more)

    @_edges.setter
    def _edges(self, edges: tuple) -> None:
        self._arity = len(edges) // 2
        if edges:
            self._child0, self._nr0 = edges[0], edges[1]
        if len(edges) > 2:
            self._child1, self._nr1 = edges[2], edges[3]
            self._more = edges[4:]

    # -- the ctx API ---------------------------------------------------------------------
    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep these tensors (inputs or outputs of forward) for backward."""
        for index, t in enumerate(tensors):
            if t is not None and type(t) is not Tensor:
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{index} is of type {type(t).__name__}"
                )
        # A user's backward gets back the very tensors it saved, as in PyTorch (`is`,
        # retains_grad); only the built-ins' own saves may keep an input as its values.
        self._save_values(*tensors, inputs_as_values=False)

    def _save_values(self, *values: Any, inputs_as_values: bool = True) -> None:
        """save_for_backward for the built-ins, which also keep constant operands (numbers)."""
        if len(values) == 1 and type(values[0]) is Tensor:
            # One tensor is kept bare: a tuple would be one more object for the cyclic GC.
            saved = values[0]
            counter = saved._version_counter
            if counter:
                self._saved, self._saved_versions = saved, (len(counter),)
            elif (inputs_as_values and saved.grad_fn is self._child0 is not None
                  and saved._output_nr == self._nr0):
                # Input 0 (sin's x), not a leaf: only its values and version counter are
                # kept, and saved_tensors rebuilds it from edge 0, as for saved outputs.
                # The tensor itself can then die with the forward's temporaries: a graph
                # of unary ops keeps alive no tensor per node for the cyclic GC to scan.
                if counter is None:
                    counter = saved._version_counter = bytearray()
                self._saved, self._saved_versions = saved.data, counter
            else:
                self._saved, self._saved_versions = saved, _ZERO_VERSIONS[1]
            return
        self._saved = values
        self._saved_versions = _versions_of(values)

    def _save_operands(self, a: Any, b: Any, b_for_both: bool) -> None:
        """Keep each operand of a binary op only for a gradient that uses it, as PyTorch does:
        ``a`` for b's gradient, ``b`` for a's (and for its own when ``b_for_both``)."""
        need_a, need_b = self.needs_input_grad
        if not need_b and type(b) is not Tensor:
            self._saved, self._saved_versions = b, _CONSTANT_SECOND
            return
        if not need_b:
            a = None
        elif not (need_a or b_for_both):
            b = None
        self._saved = (a, b)  # _save_values, written out for the inner loop
        if (type(a) is Tensor and a._version_counter) or (type(b) is Tensor and b._version_counter):
            self._saved_versions = _versions_of((a, b))
        else:  # _versions_of's common case, written out: neither was changed in place
            self._saved_versions = _ZERO_VERSIONS[2]

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._freed:
            raise RuntimeError(SECOND_BACKWARD_MESSAGE)
        saved = self._saved
        if saved is None:
            return ()
        kind = type(saved)
        if kind is Tensor:  # one tensor, kept bare
            version = self._saved_versions[0]
            if len(saved._version_counter or _UNCOUNTED) != version:
                self._raise_modified(saved, version)
            return (saved,)
        if kind is _SavedOutput:  # one output, kept bare
            return (self._unpack_output(saved),)
        if kind is not tuple:
            if self._saved_versions is _CONSTANT_SECOND:
                return (None, saved)
            return (self._unpack_input(saved),)
        outputs = False
        for t, version in zip(saved, self._saved_versions):
            if type(t) is Tensor:
                if len(t._version_counter or _UNCOUNTED) != version:
                    self._raise_modified(t, version)
            elif type(t) is _SavedOutput:
                outputs = True
                if len(t.counter) != t.version:
                    self._unpack_output(t)  # raises, naming the output
        if not outputs:  # inputs and constants are handed back as they were kept
            return saved
        return tuple([self._unpack_output(t) if type(t) is _SavedOutput else t for t in saved])

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        raise NotImplementedError("in-place custom Functions are not supported")

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = bool(value)

    def _store_saved_outputs(self, outputs: tuple) -> None:
        bare = type(self._saved) is not tuple
        saved = (self._saved,) if bare else self._saved
        for nr, out in enumerate(outputs):
            for i, t in enumerate(saved):
                if t is out and type(out) is Tensor:
                    saved = (*saved[:i], _SavedOutput(out, nr), *saved[i + 1 :])
        self._saved = saved[0] if bare else saved

    def _unpack_output(self, saved: _SavedOutput) -> Tensor:
        out = _make(saved.data, True, self, saved.nr)
        out._version_counter = saved.counter
        if len(saved.counter) != saved.version:
            self._raise_modified(out, saved.version)
        return out

    def _unpack_input(self, data: Any) -> Tensor:
        """Input 0, kept as its values (``_save_values``): a tensor with its grad_fn, its
        version counter, and the version it was saved at, 0."""
        out = _new(Tensor)  # _make, written out: every backward of sin, log, ... comes here
        out.data = data
        out._requires_grad = True
        out.grad_fn = self._child0
        out._output_nr = self._nr0
        counter = out._version_counter = self._saved_versions
        out._grad = out._hooks = out._accumulator = None
        out._retains_grad = False
        if counter:
            self._raise_modified(out, 0)
        return out

    def _raise_modified(self, t: Tensor, version: int) -> None:
        where = f"output {t._output_nr} of {t.grad_fn.name()}" if t.grad_fn else "a leaf"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{t.data.dtype} {list(t.shape)}], which is {where}, is at "
            f"version {t._version}; expected version {version} instead. Hint: the operation "
            "that saved it is "
            f"{self.name()}; make a copy (x.clone() or x * 1) before modifying it in place."
        )

    def _release(self) -> None:
        if self._saved is not None:
            self._saved = None
            self._freed = True


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``apply``.

    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    """

    _node_class: type[BackwardNode]
    _unrecorded_class: type[BackwardNode]
    # Optional: a staticmethod ``compute(*args)`` giving forward's result without a ctx, in
    # numpy only. When an application records nothing (no input needs a gradient, or grad
    # mode is off, as in every backward without create_graph), apply calls it instead of
    # forward and builds no context; a Function that defines it has forward call it too.
    compute: Callable[..., Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__name__ + "Backward"
        cls._node_class = type(name, (BackwardNode,), {"_function": cls})
        cls._unrecorded_class = type(name, (_Unrecorded, cls._node_class), {"__slots__": ()})

    @staticmethod
    def forward(ctx: BackwardNode, *args: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement forward")

    @staticmethod
    def backward(ctx: BackwardNode, *grads: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement backward")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        # The inner loop of every user: forward always runs with recording off, and the
        # switch is written out here rather than called.
        if state.grad_enabled:
            for a in args:
                if type(a) is Tensor and a._requires_grad:
                    return _apply_recorded(cls, args)
            if cls.compute is not None:
                raw = cls.compute(*args)
            else:
                ctx = _new(cls._unrecorded_class)
                ctx._inputs = args
                state.grad_enabled = False
                try:
                    raw = cls.forward(ctx, *args)
                finally:
                    state.grad_enabled = True
        elif cls.compute is not None:
            raw = cls.compute(*args)
        else:
            ctx = _new(cls._unrecorded_class)
            ctx._inputs = args
            raw = cls.forward(ctx, *args)
        if type(raw) is np.ndarray or type(raw) is np.float64:
            out = _new(Tensor)  # _make, written out: every backward step comes here
            out.data = raw
            out._output_nr = 0
            out._version_counter = out._grad = out._hooks = out._accumulator = out.grad_fn = None
            out._requires_grad = out._retains_grad = False
            return out
        if type(raw) is tuple:
            return tuple([_as_output(o, args) for o in raw])
        return _as_output(raw, args)


_new = object.__new__
# Interned, so that a million nodes share a handful of these small tuples.
_NEEDS: dict[tuple[bool, ...], tuple[bool, ...]] = {}
_SINGLE_SHAPES: dict[tuple[int, ...], tuple[tuple[int, ...]]] = {}
_SCALAR_SHAPES = _SINGLE_SHAPES[()] = ((),)
_NO_EDGE = (None, 0)
_ONE, _BOTH, _FIRST, _SECOND = (
    _NEEDS.setdefault(k, k) for k in ((True,), (True, True), (True, False), (False, True))
)


def _apply_recorded(cls: type[Function], args: tuple) -> Any:
    """Run forward with recording off and make its outputs the children of a new node."""
    ctx = _new(cls._node_class)
    if len(args) == 1:  # apply came here, so the one input needs a gradient
        a = args[0]
        node_a = a.grad_fn
        if node_a is None:
            ctx._child0, ctx._nr0 = accumulator_of(a), 0
        else:
            ctx._child0, ctx._nr0 = node_a, a._output_nr
        ctx._arity = 1
        ctx.needs_input_grad = _ONE
    elif len(args) == 2:  # a binary op: edges and flags without the general loop's lists
        a, b = args
        if type(a) is Tensor and a._requires_grad:
            node_a = a.grad_fn
            nr_a = a._output_nr
            if node_a is None:
                node_a = accumulator_of(a)
            if type(b) is Tensor and b._requires_grad:
                node_b = b.grad_fn
                nr_b = b._output_nr
                if node_b is None:
                    node_b = accumulator_of(b)
                ctx.needs_input_grad = _BOTH
            else:
                node_b, nr_b = _NO_EDGE
                ctx.needs_input_grad = _FIRST
        else:  # apply came here, so b needs a gradient
            node_a, nr_a = _NO_EDGE
            node_b = b.grad_fn
            nr_b = b._output_nr
            if node_b is None:
                node_b = accumulator_of(b)
            ctx.needs_input_grad = _SECOND
        ctx._arity = 2
        ctx._child0 = node_a
        ctx._nr0 = nr_a
        ctx._child1 = node_b
        ctx._nr1 = nr_b
    else:
        edges: list = []
        needs = []
        for a in args:
            if type(a) is Tensor and a._requires_grad:
                needs.append(True)
                node = a.grad_fn
                if node is None:
                    edges += (accumulator_of(a), 0)
                else:
                    edges += (node, a._output_nr)
            else:
                needs.append(False)
                edges += _NO_EDGE
        key = tuple(needs)
        ctx.needs_input_grad = _NEEDS.get(key) or _NEEDS.setdefault(key, key)
        ctx._edges = tuple(edges)
    ctx._saved = None
    if state.anomaly_enabled:
        ctx.metadata["traceback_"] = _forward_traceback()
    if cls.compute is not None:
        # A Function with compute works in numpy only: nothing in its forward records.
        raw = cls.forward(ctx, *args)
    else:
        state.grad_enabled = False
        try:
            raw = cls.forward(ctx, *args)
        finally:
            state.grad_enabled = True
    if type(raw) is not tuple:
        if type(raw) is np.ndarray or type(raw) is np.float64:
            out = _new(Tensor)  # _make, written out for the inner loop
            out.data = raw
            out._output_nr = 0
            out._version_counter = out._grad = out._hooks = out._accumulator = out.grad_fn = None
            out._requires_grad = out._retains_grad = False
        else:
            out = _as_output(raw, args)
            if type(out) is not Tensor:
                return out
        if type(raw) is np.float64:  # a 0-d result: no shape to read and look up
            ctx._output_shapes = _SCALAR_SHAPES
        else:
            shape = out.data.shape
            shapes = _SINGLE_SHAPES.get(shape)
            if shapes is None:
                shapes = _SINGLE_SHAPES[shape] = (shape,)
            ctx._output_shapes = shapes
        if not ctx._non_differentiable:
            out._requires_grad = True
            out.grad_fn = ctx
        saved = ctx._saved
        if saved is out:
            ctx._saved = _SavedOutput(out, 0)
        elif type(saved) is tuple:
            for value in saved:
                if value is out:
                    ctx._store_saved_outputs((out,))
                    break
        return out
    outputs = tuple([_as_output(o, args) for o in raw])
    # A non-tensor output has no shape: its gradient is always None, as in PyTorch.
    ctx._output_shapes = tuple([o.data.shape if type(o) is Tensor else None for o in outputs])
    non_differentiable = ctx._non_differentiable
    for nr, out in enumerate(outputs):
        if type(out) is not Tensor or (
            non_differentiable and any(out is t for t in non_differentiable)
        ):
            continue
        out._requires_grad = True
        out.grad_fn = ctx
        out._output_nr = nr
    if ctx._saved is not None:
        ctx._store_saved_outputs(outputs)
    return outputs


_ENGINE_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def _forward_traceback() -> list:
    """The caller's stack outside the engine, kept for anomaly mode's warnings."""
    import traceback

    return [
        frame for frame in traceback.extract_stack()
        if os.path.dirname(os.path.abspath(frame.filename)) != _ENGINE_DIRECTORY
    ]


class _Unrecorded:
    """Mixin for the context of an application that records nothing: it keeps nothing,
    and works out ``needs_input_grad`` only if asked."""

    __slots__ = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        pass

    def _save_values(self, *values: Any) -> None:
        pass

    def _save_operands(self, a: Any, b: Any, b_for_both: bool) -> None:
        pass

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        return tuple([type(a) is Tensor and a._requires_grad for a in self._inputs])


def _as_output(value: Any, inputs: tuple) -> Any:
    """A fresh tensor for one forward result (numpy values become tensors; other values,
    such as ints, None or strings, are returned as they are, as in PyTorch)."""
    if type(value) is np.ndarray or type(value) is np.float64:
        # A 0-d result stays a numpy scalar: converting it back to an array costs more
        # than the arithmetic. In-place operations rebind such data instead of writing it.
        return _make(value)
    if type(value) is Tensor:
        if value.grad_fn is None and not value._requires_grad:
            for a in inputs:
                if a is value:
                    return _alias(value)
            return value
        return _alias(value)
    if isinstance(value, (np.ndarray, np.generic)):
        return _make(np.asarray(value))
    return value


def _alias(t: Tensor) -> Tensor:
    """A new wrapper of ``t``'s values, counting versions with it."""
    out = _make(t.data)
    out._version_counter = shared_version_counter(t)
    return out


def once_differentiable(backward: Callable) -> Callable:
    """Mark a ``backward`` that is not itself differentiable (it may use raw numpy).

    It runs with recording off. Under ``create_graph`` its results hang from a node that
    raises if a later backward pass tries to differentiate through it.
    """

    @functools.wraps(backward)
    def wrapper(ctx: BackwardNode, *grads: Any) -> Any:
        create_graph = state.grad_enabled
        state.grad_enabled = False
        try:
            result = backward(ctx, *grads)
        finally:
            state.grad_enabled = create_graph
        if not create_graph:
            return result
        outputs = result if type(result) is tuple else (result,)
        return tuple([_poisoned(g, ctx) if isinstance(g, Tensor) else g for g in outputs])

    return wrapper


class _DifferentiatedTwice(Function):
    """Stands in the double-backward graph of a ``once_differentiable`` backward."""

    @staticmethod
    def backward(ctx: BackwardNode, *grads: Any) -> Any:
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def _poisoned(grad: Tensor, ctx: BackwardNode) -> Tensor:
    """``grad``'s value, depending (for the graph) on the inputs of ``ctx``'s forward."""
    node = _DifferentiatedTwice._node_class()
    node._saved = None
    node._edges = ctx._edges
    node._output_shapes = (grad.data.shape,)
    return _make(grad.data, True, node, 0)
