"""Engine workloads: diffcli against its peer, measured in the same run, GC on.

The peer is PyTorch when it is importable (the targets of issue 12 are ratios to it),
else the pure-Python reference tape; the points workload is measured against the
derivative written by hand in numpy, with PyTorch as a column. Each workload is one
function written against the PyTorch-style API that diffcli, the reference tape and
torch all share (`lib.tensor`, `lib.sin`, `.backward()`), so the engines run literally
the same code.
"""

from __future__ import annotations

import functools
import gc
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from types import ModuleType

import numpy as np

from benchmarks import reference_tape
from benchmarks.harness import Row, fmt, medians

STEP = 1.0001
OPS_PER_STEP = 3  # x*STEP, sin(x), and their sum
X0 = 0.5
REPO = Path(__file__).resolve().parents[1]


@functools.cache
def torch_or_none() -> ModuleType | None:
    """torch set to float64 on one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:  # optional: it only adds a column
        return None
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    return torch


def diffcli() -> ModuleType:
    import diffcli as dc
    import diffcli.autograd.functional  # noqa: F401  (makes dc.autograd.functional reachable)

    return dc


def _lib(name: str) -> ModuleType | None:
    if name == "reference":
        return reference_tape
    return torch_or_none() if name == "torch" else diffcli()


def _item(value: object) -> float:
    return value if isinstance(value, float) else value.item()


def _ops_label(ops: int) -> str:
    return f"{ops:,} ops"


# -- 1. scalar graph ---------------------------------------------------------------------

def scalar_graph(lib: ModuleType, steps: int) -> tuple[object, object]:
    """(leaf, output) of `x = x*1.0001 + sin(x)` repeated `steps` times."""
    leaf = lib.tensor(X0, requires_grad=True)
    x = leaf
    for _ in range(steps):
        x = x * STEP + lib.sin(x)
    return leaf, x


def scalar_grad(lib: ModuleType, steps: int) -> float:
    """Forward and backward of the scalar graph; d output / d leaf."""
    leaf, out = scalar_graph(lib, steps)
    out.backward()
    return _item(leaf.grad)


def scalar_grad_by_hand(steps: int) -> float:
    """The same derivative by the chain rule in a plain loop (forward mode)."""
    x, dx = X0, 1.0
    for _ in range(steps):
        x, dx = x * STEP + math.sin(x), dx * (STEP + math.cos(x))
    return dx


def bench_scalar(sizes: tuple[int, ...] = (7_500, 75_000), repeats: int = 7) -> list[Row]:
    torch = torch_or_none()
    dc = diffcli()
    peer, peer_name = (torch, "PyTorch") if torch else (reference_tape, "py tape")
    rows = []
    for ops in sizes:
        steps = ops // OPS_PER_STEP
        wrong = not math.isclose(scalar_grad(dc, steps), scalar_grad(reference_tape, steps),
                                 rel_tol=1e-9, abs_tol=1e-300)
        value, ref, tape = medians(
            [_bound(scalar_grad, lib, steps) for lib in (dc, peer, reference_tape if torch else None)],
            repeats, scale=1e6 / (steps * OPS_PER_STEP))
        row = Row(f"scalar graph {_ops_label(ops)}, fwd+bwd", "us/op", value, peer_name, ref,
                  note=f"py tape {fmt(tape)}" if torch else "")
        if torch:
            row.target, row.met = "<=0.7x PyTorch", row.ratio <= 0.7
        if wrong:
            row.met, row.note = False, "WRONG gradient"
        rows.append(row)
    return rows


def _bound(fn: Callable[..., object], lib: ModuleType | None, *args: object
           ) -> Callable[[], object] | None:
    """`fn(lib, *args)` as a thunk to time, or None when `lib` (torch) is missing."""
    return None if lib is None else functools.partial(fn, lib, *args)


# -- 2. gradient over many points --------------------------------------------------------

def surface(lib: ModuleType, x: object, y: object) -> object:
    return lib.sin(x) * lib.exp(y) + x**3 * y


def points_grad(lib: ModuleType, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Gradient of sum(surface) by the engine, wrapping the arrays included."""
    x = lib.tensor(xs, requires_grad=True)
    y = lib.tensor(ys, requires_grad=True)
    surface(lib, x, y).sum().backward()
    return x.grad.detach().numpy(), y.grad.detach().numpy()


def points_grad_by_hand(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """The reference: the derivative written out in numpy."""
    exp_y = np.exp(ys)
    return np.cos(xs) * exp_y + 3 * xs**2 * ys, np.sin(xs) * exp_y + xs**3


def sample_points(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(-2, 2, n), rng.uniform(-1, 1, n)


def bench_points(n: int = 1_000_000, repeats: int = 7) -> list[Row]:
    torch = torch_or_none()
    dc = diffcli()
    xs, ys = sample_points(n)
    # atol: where the two terms of a partial cancel, its last digits are rounding noise
    right = all(np.allclose(a, b, rtol=1e-12, atol=1e-12)
                for a, b in zip(points_grad(dc, xs, ys), points_grad_by_hand(xs, ys),
                                strict=True))

    value, ref, t_torch = medians(
        [_bound(points_grad, dc, xs, ys), functools.partial(points_grad_by_hand, xs, ys),
         _bound(points_grad, torch, xs, ys)], repeats, scale=1e3)
    row = Row(f"grad sin(x)exp(y)+x^3y, {n:,} pts", "ms", value, "numpy by hand", ref,
              target="<=1.0x numpy by hand", torch=t_torch,
              note="" if right else "WRONG gradient")
    row.met = row.ratio <= 1.0 and right
    return [row]


# -- 3. n-th derivative by nested grad ---------------------------------------------------

def nth_derivative(lib: ModuleType, n: int, x0: float = 0.7) -> float:
    """d^n/dx^n exp(sin(x)) at x0 by n nested `grad(create_graph=True)`."""
    x = lib.tensor(x0, requires_grad=True)
    g = lib.exp(lib.sin(x))
    for _ in range(n):
        (g,) = lib.autograd.grad(g, x, create_graph=True)
    return g.item()


def nth_derivative_sympy(n: int, x0: float = 0.7) -> float:
    """The independent truth: sympy's exact n-th derivative, evaluated."""
    import sympy

    s = sympy.Symbol("x")
    return float(sympy.diff(sympy.exp(sympy.sin(s)), s, n).subs(s, x0))


def bench_nth(max_order: int = 8, repeats: int = 5) -> list[Row]:
    """Each order against PyTorch's time for it; without PyTorch, against order n-1."""
    torch = torch_or_none()
    dc = diffcli()
    rows: list[Row] = []
    prev = None
    for n in range(1, max_order + 1):
        right = math.isclose(nth_derivative(dc, n), nth_derivative_sympy(n), rel_tol=1e-9)
        value, t_torch = medians([_bound(nth_derivative, lib, n) for lib in (dc, torch)],
                                 repeats, scale=1e3)
        label = f"d^{n}/dx^{n} exp(sin x), nested grad"
        if torch:
            row = Row(label, "ms", value, "PyTorch", t_torch)
            if n == max_order:
                row.target, row.met = "<=1.0x PyTorch", row.ratio <= 1.0
        else:
            row = Row(label, "ms", value, f"order {n - 1}" if n > 1 else "", prev)
            if n > 1:
                row.target, row.met = "<=2.7x ref", row.ratio <= 2.7
        if not right:
            row.met, row.note = False, "WRONG value"
        rows.append(row)
        prev = value
    return rows


# -- 4. a long chain: time and peak memory, one fresh process per run ----------------------

def chain_run(engine: str, ops: int) -> dict[str, float]:
    """Build and run backward on a chain of `ops` ops; runs in its own process.

    Peak memory is how far the resident set rose above where it stood before the build,
    so it counts the graph, the gradients and everything the engine allocates for them.
    """
    lib = _lib(engine)
    gc.collect()
    base = _reset_peak_rss()
    start = perf_counter()
    leaf, out = scalar_graph(lib, ops // OPS_PER_STEP)
    built = perf_counter()
    out.backward()
    done = perf_counter()
    return {"forward_s": built - start, "backward_s": done - built,
            "peak_bytes": _proc_status_bytes("VmHWM") - base, "grad": _item(leaf.grad)}


def _reset_peak_rss() -> int:
    """Reset the kernel's high-water mark to the current resident set, and return it.

    Linux only. Without the reset, transient memory used by imports would hide any
    growth below it.
    """
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _proc_status_bytes("VmRSS")


def _proc_status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return 1024 * int(line.split()[1])  # the kernel reports kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def chain_in_subprocess(engine: str, ops: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.engine", "chain", engine, str(ops)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"chain run of {engine} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def bench_chain(ops: int = 100_000, memory_ops: int = 1_000_000, repeats: int = 5,
                memory_repeats: int = 1) -> list[Row]:
    """Backward time of an `ops` chain and peak memory per node of a `memory_ops` chain."""
    peer = "torch" if torch_or_none() else "reference"
    peer_name = "PyTorch" if torch_or_none() else "py tape"
    rows = []
    for size, count, timed in ((ops, repeats, True), (memory_ops, memory_repeats, False)):
        runs: dict[str, list[dict[str, float]]] = {"diffcli": [], peer: []}
        for _ in range(count):  # interleaved, so drift in the machine hits both alike
            for engine in runs:
                runs[engine].append(chain_in_subprocess(engine, size))
        real_ops = size // OPS_PER_STEP * OPS_PER_STEP

        def median(engine: str, key: str, per: int = 1, runs: dict = runs) -> float:
            return float(np.median([r[key] for r in runs[engine]])) / per

        right = math.isclose(median("diffcli", "grad"), median(peer, "grad"),
                             rel_tol=1e-9, abs_tol=1e-300)
        label = f"chain {_ops_label(real_ops)}"
        if timed:
            row = Row(f"{label}, backward", "s", median("diffcli", "backward_s"), peer_name,
                      median(peer, "backward_s"))
            if peer == "torch":
                row.target, row.met = "<=0.5x PyTorch", row.ratio <= 0.5
        else:
            row = Row(f"{label}, peak memory", "B/node", median("diffcli", "peak_bytes", real_ops),
                      peer_name, median(peer, "peak_bytes", real_ops), target="<400 B/node")
            row.met = row.value < 400
        if not right:
            row.met, row.note = False, "WRONG gradient"
        rows.append(row)
    return rows


# -- 5. Hessian of Rosenbrock ----------------------------------------------------------------

def rosenbrock(x: object) -> object:
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def rosenbrock_hessian(lib: ModuleType, xs: np.ndarray) -> np.ndarray:
    return lib.autograd.functional.hessian(rosenbrock, lib.tensor(xs)).detach().numpy()


def rosenbrock_hessian_by_hand(xs: np.ndarray) -> np.ndarray:
    """The reference: the analytic (tridiagonal) Hessian in numpy."""
    head, tail = xs[:-1], xs[1:]
    diag = np.zeros_like(xs)
    diag[:-1] += 1200 * head**2 - 400 * tail + 2
    diag[1:] += 200
    off = -400 * head
    return np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)


def bench_hessian(dim: int = 100, repeats: int = 7) -> list[Row]:
    torch = torch_or_none()
    dc = diffcli()
    xs = np.random.default_rng(1).uniform(-1.5, 1.5, dim)
    right = np.allclose(rosenbrock_hessian(dc, xs), rosenbrock_hessian_by_hand(xs),
                        rtol=1e-12, atol=1e-9)
    value, by_hand, t_torch = medians(
        [_bound(rosenbrock_hessian, dc, xs), functools.partial(rosenbrock_hessian_by_hand, xs),
         _bound(rosenbrock_hessian, torch, xs)], repeats, scale=1e3)
    if torch:
        row = Row(f"hessian rosenbrock, {dim}-d", "ms", value, "PyTorch", t_torch,
                  target="<=1.0x PyTorch")
        row.met = row.ratio <= 1.0 and right
    else:
        row = Row(f"hessian rosenbrock, {dim}-d", "ms", value, "numpy by hand", by_hand)
    if not right:
        row.met, row.note = False, "WRONG hessian"
    return [row]


if __name__ == "__main__":
    _, _, engine, ops = sys.argv
    print(json.dumps(chain_run(engine, int(ops))))
