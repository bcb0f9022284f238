"""The backward pass: Kahn's algorithm over the graph, never recursion.

A node's ``_edges`` is flat, ``(node_0, nr_0, node_1, nr_1, ...)``, one pair per forward
input (``None, 0`` for inputs that need no gradient); the first two pairs live in the
node's slots, so a graph of one- and two-input ops keeps no edge tuples alive.

A pass (1) finds the nodes reachable from the outputs and counts, for each, the edges
that lead into it; (2) when only some inputs are wanted, keeps just the nodes on a path
to them; (3) runs nodes from a ready stack as their counts reach zero, each exactly once,
with all its incoming gradients summed in one buffer.
"""

from __future__ import annotations

import gc
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import grad_mode
from .function import AccumulateGrad, Node, _accumulated, _as_output, accumulator_of
from .grad_mode import state
from .ops import sum_to
from .tensor import Tensor, _make, size_text

# Gradients that sum to inf or nan do so silently, as in PyTorch and as in the ops: the
# engine adds arrays itself when nothing records.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _seed_gradients(outputs: tuple[Tensor, ...], grads: tuple) -> list[tuple[Node, int, Tensor]]:
    if grads and len(grads) != len(outputs):
        raise RuntimeError(
            f"got {len(grads)} gradients for {len(outputs)} outputs; pass one per output"
        )
    roots = []
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        grad = grads[i] if grads else None
        if grad is None:
            if out.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = _make(np.ones_like(out.data, dtype=np.float64))
        elif not isinstance(grad, Tensor):
            grad = _make(np.asarray(grad, dtype=np.float64))
        if grad.shape != out.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {size_text(grad.shape)} and "
                f"output[{i}] has a shape of {size_text(out.shape)}."
            )
        node, nr = (out.grad_fn, out._output_nr) if out.grad_fn else (accumulator_of(out), 0)
        roots.append((node, nr, grad))
    return roots


def _count_dependencies(roots: list[Node]) -> dict[Node, int]:
    """For every node reachable from the roots, how many edges lead into it."""
    deps: dict[Node, int] = dict.fromkeys(roots, 0)
    stack = list(deps)
    while stack:
        node = stack.pop()
        arity = node._arity
        if arity == 1:
            children: tuple = (node._child0,)
        elif arity == 2:
            children = (node._child0, node._child1)
        else:
            children = node._edges[::2]
        for child in children:
            if child is None:
                continue
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                stack.append(child)
    return deps


def _topological(deps: dict[Node, int]) -> list[Node]:
    remaining = dict(deps)
    ready = [n for n, count in remaining.items() if count == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for child in node._edges[::2]:
            if child is not None:
                remaining[child] -= 1
                if remaining[child] == 0:
                    ready.append(child)
    return order


def _prune(deps: dict[Node, int], targets: set[Node]) -> tuple[dict[Node, int], set[Node]]:
    """Keep the nodes on a path to a target; return their edge counts and those to run."""
    order = _topological(deps)
    reaches: dict[Node, bool] = {}
    runs: set[Node] = set()
    for node in reversed(order):
        leads_on = any(child is not None and reaches[child] for child in node._edges[::2])
        if leads_on:
            runs.add(node)
        reaches[node] = leads_on or node in targets
    kept = {node: 0 for node in order if reaches[node]}
    for node in runs:
        for child in node._edges[::2]:
            if child is not None and child in kept:
                kept[child] += 1
    return kept, runs


def _every_path_ends_at(deps: dict[Node, int], targets: set[Node]) -> bool:
    """Whether pruning would keep everything: the targets are leaves, and every leaf in
    the graph is a target (as in ``grad(y, x)`` with x the only leaf): paths end at leaves."""
    if any(type(node) is not AccumulateGrad for node in targets):
        return False
    return all(node in targets for node in deps if type(node) is AccumulateGrad)


def _fit_to_input(node: Node, index: int, grad: Any, child: Node, nr: int) -> Tensor:
    """Check one gradient returned by ``node`` and sum it down to its input's shape."""
    if not isinstance(grad, Tensor):
        grad = _make(np.asarray(grad, dtype=np.float64))
    expected = child._output_shapes[nr]
    if grad.data.shape == expected:
        return grad
    try:
        compatible = np.broadcast_shapes(expected, grad.data.shape) == grad.data.shape
    except ValueError:
        compatible = False
    if not compatible:
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.data.shape)} but expected shape compatible with {list(expected)}"
        )
    return sum_to(grad, expected)


def _gradient_per_input(node: Node, results: tuple, inputs: int) -> tuple:
    """``results`` cut to one per input: PyTorch accepts extra trailing Nones, nothing else."""
    if len(results) > inputs and all(g is None for g in results[inputs:]):
        return results[:inputs]
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients "
        f"(expected {inputs}, got {len(results)})"
    )


def _check_nan(node: Node, grads: tuple) -> None:
    for i, g in enumerate(grads):
        if isinstance(g, Tensor) and np.isnan(g.data).any():
            source = node._metadata.get("source") if node._metadata else None
            where = f" (from {source})" if source else ""
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output{where}."
            )


def _plan(root_nodes: list[Node], target_nodes: set[Node] | None,
          ) -> tuple[dict[Node, int], set[Node] | None]:
    """The edge counts of the nodes a pass visits and, when only some are kept, those it runs."""
    deps = _count_dependencies(root_nodes)
    if target_nodes is not None and not _every_path_ends_at(deps, target_nodes):
        return _prune(deps, target_nodes)
    return deps, None


def _run(
    roots: list[tuple[Node, int, Tensor]],
    targets: dict[tuple[Node, int], int] | None,
    accumulate: bool,
    retain_graph: bool,
    create_graph: bool,
    plan: tuple[dict[Node, int], set[Node] | None] | None = None,
) -> dict[tuple[Node, int], Tensor]:
    """Execute one backward pass; return the gradients captured at ``targets``.

    ``plan`` is ``_plan``'s answer for these roots and targets, made beforehand; the pass
    counts its ``deps`` down.
    """
    if state.backward_depth and _frames_in_use() > sys.getrecursionlimit() // 4:
        # A backward called from a backward, deep in the stack: PyTorch goes on in another
        # thread past a depth; so do we, so that reentrant depth is bounded by threads only.
        return _on_fresh_stack(_run, roots, targets, accumulate, retain_graph, create_graph, plan)
    root_nodes = [node for node, _, _ in roots]
    target_nodes = None if targets is None else {node for node, _ in targets}
    deps, runs = plan or _plan(root_nodes, target_nodes)
    # The gradients of nodes still waiting for some of their inputs; a node whose count
    # reaches zero leaves with its gradients on the ready stack, so a node with one
    # incoming edge (most of a chain) never enters this dict.
    buffers: dict[Node, list] = {}
    for node, nr, grad in roots:
        if node in deps:
            _add_to_buffer(buffers, node, nr, grad)
    captured: dict[tuple[Node, int], Tensor] = {}
    ready = [(node, buffers.pop(node, None))
             for node in dict.fromkeys(root_nodes) if deps.get(node) == 0]
    anomaly = state.anomaly_enabled
    check_nan = anomaly and state.anomaly_check_nan
    node = None
    previous_mode = state.grad_enabled
    state.grad_enabled = create_graph
    # A pass makes no reference cycles, only garbage that reference counting frees; the
    # cyclic collector would re-scan the whole live graph over and over for nothing.
    collecting = gc.isenabled()
    gc.disable()
    state.backward_depth += 1
    try:
        while ready:
            node, grads = ready.pop()
            if grads is not None:
                if node._tensor_hooks is not None or node._retained is not None:
                    grads = node._prepare_grads(grads)
                if target_nodes is not None and node in target_nodes:
                    for nr, g in enumerate(grads):
                        if g is not None and (node, nr) in targets:
                            captured[(node, nr)] = g
            if type(node) is AccumulateGrad:
                if accumulate and grads is not None and grads[0] is not None:
                    node.accumulate(grads[0])
                continue
            if runs is not None and node not in runs:
                continue
            arity = node._arity
            results = None
            if grads is not None:
                # The node's backward, called from here: one frame fewer per reentrant level.
                for g in grads:
                    if g is None:
                        if node._materialize_grads:
                            _materialize(node, grads)
                        break
                if len(grads) == 1:  # a plain call: no tuple built from the list
                    results = node._function.backward(node, grads[0])
                else:
                    results = node._function.backward(node, *grads)
                if type(results) is not tuple:
                    results = (results,)
                if len(results) != arity:
                    results = _gradient_per_input(node, results, arity)
                if check_nan:
                    _check_nan(node, results)
                if not retain_graph and node._saved is not None:
                    node._release()
            # The edges read from the node's slots (the first two) and ``_more``, in a while
            # loop: no tuple or iterator objects for the common one or two inputs.
            index = 0
            while index < arity:
                if index == 0:
                    child, nr = node._child0, node._nr0
                elif index == 1:
                    child, nr = node._child1, node._nr1
                else:
                    child, nr = node._more[2 * index - 4], node._more[2 * index - 3]
                index += 1
                if child is None:
                    continue
                remaining = deps.get(child)
                if remaining is None:
                    continue
                if remaining == 1:  # the last edge into child: its gradients are complete
                    buffer = buffers.pop(child, None)
                else:
                    buffer = buffers.get(child)
                    deps[child] = remaining - 1
                if results is not None and (grad := results[index - 1]) is not None:
                    shapes = child._output_shapes
                    if type(grad) is not Tensor or grad.data.shape != shapes[nr]:
                        grad = _fit_to_input(node, index - 1, grad, child, nr)
                    if buffer is None:  # _add_to_buffer, written out for the inner loop
                        single = nr == 0 and len(shapes) == 1
                        buffer = [grad] if single else _new_buffer(child, nr, grad)
                        if remaining != 1:
                            buffers[child] = buffer
                    elif buffer[nr] is None:
                        buffer[nr] = grad
                    elif create_graph:
                        buffer[nr] = buffer[nr] + grad
                    else:
                        # Nothing records: the arrays' sum, as the Tensor op would make it,
                        # without that op's dispatch.
                        buffer[nr] = _as_output(buffer[nr].data + grad.data, ())
                elif buffer is None:
                    # An undefined gradient: the child still runs (its Function may
                    # materialize zeros), as in PyTorch.
                    buffer = [None] * len(child._output_shapes)
                    if remaining != 1:
                        buffers[child] = buffer
                if remaining == 1:
                    ready.append((child, buffer))
    except Exception:
        if anomaly and node is not None:
            _warn_forward_traceback(node)
        raise
    finally:
        state.backward_depth -= 1
        state.grad_enabled = previous_mode
        if collecting:
            gc.enable()
    return captured


def _materialize(node: Node, grads: list) -> None:
    """Zeros in place of the undefined gradients of outputs that have a shape."""
    shapes = node._output_shapes
    for nr, g in enumerate(grads):
        if g is None and shapes[nr] is not None:
            grads[nr] = _make(np.zeros(shapes[nr]))


def _warn_forward_traceback(node: Node) -> None:
    """Anomaly mode: say where the forward of a node whose backward failed was called."""
    frames = node._metadata.get("traceback_") if node._metadata else None
    if frames is None:
        return
    import traceback

    warnings.warn(
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
        + "".join(traceback.format_list(frames)),
        UserWarning,
        stacklevel=3,
    )


def _frames_in_use() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        count, frame = count + 1, frame.f_back
    return count


def _on_fresh_stack(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` run on a new thread, in this thread's modes; this thread waits for it."""
    modes = grad_mode.snapshot()
    outcome: list = []

    def work() -> None:
        grad_mode.adopt(modes)
        try:
            outcome.append((True, fn(*args)))
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome.append((False, error))

    worker = threading.Thread(target=work, name="diffcli-reentrant-backward")
    worker.start()
    worker.join()
    finished, value = outcome[0]
    if not finished:
        raise value
    return value


def _add_to_buffer(buffers: dict[Node, list], node: Node, nr: int, grad: Tensor) -> None:
    buffer = buffers.get(node)
    if buffer is None:
        buffers[node] = _new_buffer(node, nr, grad)
    else:
        buffer[nr] = grad if buffer[nr] is None else buffer[nr] + grad


def _new_buffer(node: Node, nr: int, grad: Tensor) -> list:
    """One slot per output of ``node``, holding ``grad`` at ``nr``."""
    buffer = [None] * len(node._output_shapes)
    buffer[nr] = grad
    return buffer


def _input_key(t: Tensor) -> tuple[Node, int]:
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (accumulator_of(t), 0)


REFERENCE_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak."
)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """Sum the gradients of ``tensors`` into the ``.grad`` of the leaves (or of ``inputs``)."""
    outputs = _as_tuple(tensors)
    roots = _seed_gradients(outputs, _as_tuple(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        warnings.warn(REFERENCE_CYCLE, UserWarning, stacklevel=2)
    if inputs is None:
        _run(roots, None, True, retain_graph, create_graph)
        return
    wanted = _as_tuple(inputs)
    if not wanted:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for t in wanted:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    targets = {_input_key(t): i for i, t in enumerate(wanted)}
    captured = _run(roots, targets, True, retain_graph, create_graph)
    # Non-leaf inputs receive their gradient in .grad too, as in PyTorch.
    for t in wanted:
        if t.grad_fn is not None and _input_key(t) in captured:
            previous = state.grad_enabled
            state.grad_enabled = create_graph
            try:
                t._grad = _accumulated(t._grad, captured[_input_key(t)])
            finally:
                state.grad_enabled = previous


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is untouched.

    >>> (dx,) = grad(x ** 3, x, create_graph=True)   # dx can be differentiated again
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    wanted = _as_tuple(inputs)
    if not wanted:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for t in wanted:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _seed_gradients(_as_tuple(outputs), _as_tuple(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    keys = [_input_key(t) for t in wanted]
    captured = _run(roots, dict.fromkeys(keys, 0), False, retain_graph, create_graph)
    result: list[Tensor | None] = []
    for index, (t, key) in enumerate(zip(wanted, keys)):
        g = captured.get(key)
        if g is None:
            if materialize_grads:
                # Under create_graph, a zero that can be differentiated again (to None).
                g = _make(np.zeros_like(t.data, dtype=np.float64), create_graph)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {index} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
        result.append(g)
    return tuple(result)


def _grads_per_element(output: Tensor, inputs: tuple[Tensor, ...],
                       create_graph: bool) -> list[tuple[Tensor | None, ...]]:
    """For each element k of ``output``, ``grad(output.reshape(-1)[k], inputs,
    retain_graph=True, create_graph=create_graph, allow_unused=True)``: the rows of a Jacobian.

    Each pass seeds ``output`` with the k-th unit vector, the gradient that indexing would
    hand it, and all passes share one count of the graph's edges: a pass adds no edge to
    the graph it runs over (nodes it records point into it, never out of it).
    """
    keys = [_input_key(t) for t in inputs]
    targets = dict.fromkeys(keys, 0)
    root, nr = _input_key(output)
    deps, runs = _plan([root], {node for node, _ in keys})
    size = output.data.size
    rows = []
    for k in range(size):
        seed = np.zeros(size)
        seed[k] = 1.0
        captured = _run([(root, nr, _make(seed.reshape(output.shape)))], targets, False, True,
                        create_graph, (dict(deps), runs))
        rows.append(tuple(captured.get(key) for key in keys))
    return rows


class set_detect_anomaly:
    """Anomaly mode on or off, at once (as a call) or for a ``with`` block, as in PyTorch.

    On, operations record where they were made, a backward step that fails warns with
    that forward traceback, and (with ``check_nan``) one that produces NaN raises.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = (state.anomaly_enabled, state.anomaly_check_nan)
        state.anomaly_enabled, state.anomaly_check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.anomaly_enabled, state.anomaly_check_nan = self._previous


class detect_anomaly:
    """Anomaly mode for a ``with`` block (see ``set_detect_anomaly``); warns that it slows things.

    >>> with detect_anomaly():
    ...     y.backward()      # RuntimeError: Function 'DivBackward' returned nan values ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self._check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._mode = set_detect_anomaly(True, self._check_nan)

    def __exit__(self, *exc: object) -> None:
        self._mode.__exit__()
