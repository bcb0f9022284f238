"""diffcli.autograd: reverse-mode automatic differentiation with PyTorch's semantics."""

import importlib
from typing import Any

from .engine import backward, detect_anomaly, grad, set_detect_anomaly
from .function import Function, once_differentiable
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor, tensor

__all__ = [
    "Function",
    "GradcheckError",
    "Tensor",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
    "tensor",
]


def __getattr__(name: str) -> Any:
    """`functional` (and forward mode, which it uses) loads on first use: a plain gradient
    needs neither, and the command line's start-up pays for what it imports."""
    if name == "functional":
        return importlib.import_module(".functional", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
