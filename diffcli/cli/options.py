"""The options every command shares, declared once.

Single options are `Annotated` types (`Expr`, `Wrt`, `PointsFile`, `Timeout`). The
options that travel together are bundles: a command declares one parameter of type
`Output`, `Tolerance` or `Values` (--at, --random, --seed), and `expand` shows typer the
bundle's fields as separate options, then hands the command one value of the bundle.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import typer


def _not_negative(value: float | None) -> float | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"must not be negative, got {value:g}")
    return value


Expr = Annotated[str, typer.Argument(help="The expression, e.g. 'x**3 + y**2'.", show_default=False)]
At = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        help="Values: --at x=2 --at y=3, --at x=2,y=3, --at x=pi/4, --at 'x=[1,2,3]'.",
        show_default=False,
    ),
]
Random = Annotated[
    list[str] | None,
    typer.Option(
        "--random",
        help="Random standard-normal values of a shape: --random W=3x4 (repeatable; drawn in "
        "the order given, reproducible with --seed).",
        show_default=False,
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the --random values.")]


class Values(NamedTuple):
    """Where to evaluate: --at values, and --random arrays drawn from --seed."""

    at: At = None
    random: Random = None
    seed: Seed = 0


NO_VALUES = Values()  # a command's default, replaced by typer's options (see expand)


Wrt = Annotated[
    list[str] | None,
    typer.Option("--wrt", help="Differentiate with respect to NAME (repeatable).", show_default=False),
]
PointsFile = Annotated[
    str | None,
    typer.Option(
        "--points",
        help="Batch: NDJSON or CSV (header row) of values, one point per line, or a Parquet "
        "or Arrow file (needs the parquet extra); '-' for stdin.",
        show_default=False,
    ),
]
ResultsFile = Annotated[
    str | None,
    typer.Option(
        "--output", "-o",
        help="Batch: write the results to FILE.ndjson, .csv or .parquet (columns at.x, value, "
        "gradient.x, ...) instead of stdout.",
        show_default=False,
    ),
]
Timeout = Annotated[
    float,
    typer.Option("--check-timeout", help="Seconds allowed for the symbolic side.",
                 callback=_not_negative),
]

ProofTimeout = Annotated[
    float,
    typer.Option("--proof-timeout",
                 help="Seconds sympy may spend proving each claim that agrees (0: no proofs).",
                 callback=_not_negative),
]


class Output(NamedTuple):
    """How results are written: JSON or tables, strictness about non-finite numbers, tracebacks."""

    json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout (NDJSON for --points).")] = False
    strict: Annotated[
        bool, typer.Option("--strict", help="Non-finite results exit 1; a bad batch line stops.")
    ] = False
    debug: Annotated[bool, typer.Option("--debug", help="Show Python tracebacks.")] = False


Check = Annotated[
    bool | None,
    typer.Option(
        "--check/--no-check",
        help="Cross-check with sympy and finite differences (default: on for one point).",
        show_default=False,
    ),
]


class Tolerance(NamedTuple):
    """How closely the witnesses must agree, and how long sympy may take."""

    rtol: Annotated[
        float | None,
        typer.Option("--rtol", help="Relative tolerance of the checks [default: the verifier's].",
                     show_default=False, callback=_not_negative),
    ] = None
    atol: Annotated[
        float | None,
        typer.Option("--atol", help="Absolute tolerance of the checks [default: the verifier's].",
                     show_default=False, callback=_not_negative),
    ] = None
    check_timeout: Timeout = 10.0

    def as_kwargs(self) -> dict[str, float]:
        """Only the tolerances the user set (so the verifier's defaults hold otherwise),
        with the time budget."""
        given = {key: value for key, value in (("rtol", self.rtol), ("atol", self.atol))
                 if value is not None}
        return {**given, "timeout": self.check_timeout}


# Bundles are NamedTuples: immutable like a frozen dataclass, and made in a tenth of the
# time (a dataclass execs each of its methods' source; this module loads on every run).
BUNDLES = (Output, Tolerance, Values)


def expand(fn: Callable[..., Any]) -> tuple[inspect.Signature, Callable[[dict], dict]]:
    """The signature typer should see for `fn`, with each bundle parameter replaced by its
    fields, and a function turning typer's keyword arguments back into `fn`'s."""
    own = inspect.signature(fn, eval_str=True)
    params: list[inspect.Parameter] = []
    bundled: dict[str, tuple[type, list[str]]] = {}
    for param in own.parameters.values():
        if param.annotation in BUNDLES:
            bundle = param.annotation
            hints = typing.get_type_hints(bundle, include_extras=True)
            bundled[param.name] = (bundle, list(bundle._fields))
            params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                         default=bundle._field_defaults[name],
                                         annotation=hints[name])
                       for name in bundle._fields]
        else:
            params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    def regroup(kwargs: dict) -> dict:
        kwargs = dict(kwargs)
        for name, (bundle, fields) in bundled.items():
            kwargs[name] = bundle(**{field: kwargs.pop(field) for field in fields})
        return kwargs

    return own.replace(parameters=params), regroup
