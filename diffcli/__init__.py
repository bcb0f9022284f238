"""diffcli: differentiate expressions, checked three ways.

The engine's public names live here, as in ``torch``: ``import diffcli as dc``;
``dc.tensor([2.0], requires_grad=True)``, ``dc.sin``, ``dc.no_grad()``, ...
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module of the engine, its name there). Loaded on first use, so that a
# command line run can start work (sympy's worker) before the engine is imported.
_ENGINE: dict[str, tuple[str, str]] = {
    **{name: ("grad_mode", name) for name in ("enable_grad", "is_grad_enabled", "no_grad",
                                               "set_grad_enabled")},
    "round": ("ops", "_round"),
    **{name: ("ops", name) for name in (
        "abs",
        "acos",
        "acosh",
        "add",
        "amax",
        "amin",
        "arange",
        "asin",
        "asinh",
        "atan",
        "atan2",
        "atanh",
        "cat",
        "cbrt",
        "ceil",
        "clamp",
        "clone",
        "cos",
        "cosh",
        "det",
        "diag",
        "div",
        "dot",
        "erf",
        "erfc",
        "exp",
        "expand",
        "expm1",
        "eye",
        "flatten",
        "floor",
        "full",
        "hypot",
        "inv",
        "inverse",
        "linspace",
        "log",
        "log1p",
        "log2",
        "log10",
        "log_softmax",
        "logdet",
        "logsumexp",
        "manual_seed",
        "matmul",
        "max",
        "maximum",
        "mean",
        "min",
        "minimum",
        "mul",
        "neg",
        "norm",
        "ones",
        "ones_like",
        "outer",
        "permute",
        "pow",
        "prod",
        "rand",
        "rand_like",
        "randn",
        "randn_like",
        "relu",
        "reshape",
        "sigmoid",
        "sign",
        "sin",
        "sinh",
        "softmax",
        "softplus",
        "sqrt",
        "squeeze",
        "stack",
        "sub",
        "sum",
        "tan",
        "tanh",
        "trace",
        "transpose",
        "unsqueeze",
        "where",
        "zeros",
        "zeros_like",
    )},
    "Tensor": ("tensor", "Tensor"),
    "from_numpy": ("tensor", "from_numpy"),
    "tensor": ("tensor", "tensor"),
}


def __getattr__(name: str) -> Any:
    if name == "autograd":
        return importlib.import_module(".autograd", __name__)
    home = _ENGINE.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".autograd.{home[0]}", __name__), home[1])
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ENGINE, "autograd"})
