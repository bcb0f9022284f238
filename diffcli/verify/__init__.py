"""Three witnesses for every derivative: autograd, sympy, finite differences, and the
verdicts that weigh them. Importing this package loads neither sympy nor multiprocessing,
nor any of its modules: each loads on first use of one of its names, so a gradient
without a check pays only for the autograd witness."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module of this package that defines it
_HOME = {
    **dict.fromkeys(("NESTED_BUDGET", "TooCostly", "differentiate", "directional",
                     "gradient", "gradient_along", "jacobians", "nested_derivative",
                     "nonfinite_origin"), "autograd_witness"),
    **dict.fromkeys(("BatchCheck", "check_batch"), "batch_checks"),
    **dict.fromkeys(("Check", "Component", "check_derivative", "check_gradient",
                     "check_hessian", "check_jacobian", "check_jvp"), "checks"),
    **dict.fromkeys(("ClaimCheck", "ClaimComponent", "check_claims", "check_claims_batch",
                     "random_points"), "claims"),
    "finite_difference": "differences",
    **dict.fromkeys(("Formulas", "check_taylor", "symbolic_derivatives", "symbolic_taylor"),
                    "formulas"),
    **dict.fromkeys(("FunctionCheck", "FunctionError", "InputCheck", "check_function"),
                    "function_check"),
    **dict.fromkeys(("Status", "Tolerances"), "judging"),
    **dict.fromkeys(("PROOF_TIMEOUT", "prove_claim"), "proof"),
    "run_with_budget": "budget",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
