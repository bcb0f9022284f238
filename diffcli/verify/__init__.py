"""Three witnesses for every derivative: autograd, sympy, finite differences, and the
verdicts that weigh them. Importing this package loads neither sympy nor multiprocessing;
a check loads them when it first asks sympy."""

from .autograd_witness import (
    NESTED_BUDGET,
    TooCostly,
    differentiate,
    gradient,
    nested_derivative,
    nonfinite_origin,
)
from .checks import (
    Check,
    Component,
    check_derivative,
    check_gradient,
    check_hessian,
    check_jacobian,
)
from .claims import ClaimCheck, ClaimComponent, check_claims, random_points
from .differences import finite_difference
from .formulas import Formulas, check_taylor, symbolic_derivatives, symbolic_taylor
from .function_check import FunctionCheck, FunctionError, InputCheck, check_function
from .judging import Status, Tolerances
from .proof import PROOF_TIMEOUT, prove_claim
from .sympy_witness import run_with_budget

__all__ = [
    "NESTED_BUDGET",
    "PROOF_TIMEOUT",
    "Check",
    "ClaimCheck",
    "ClaimComponent",
    "Component",
    "Formulas",
    "FunctionCheck",
    "FunctionError",
    "InputCheck",
    "Status",
    "Tolerances",
    "TooCostly",
    "check_claims",
    "check_derivative",
    "check_function",
    "check_gradient",
    "check_hessian",
    "check_jacobian",
    "check_taylor",
    "differentiate",
    "finite_difference",
    "gradient",
    "nested_derivative",
    "nonfinite_origin",
    "prove_claim",
    "random_points",
    "run_with_budget",
    "symbolic_derivatives",
    "symbolic_taylor",
]
