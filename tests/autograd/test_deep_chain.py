"""A 1,000,000-op chain: backward is iterative, and tearing the graph down does not crash.

Run in a subprocess so a hard crash (a C stack overflow while freeing nested nodes)
shows up as a failed test instead of taking pytest down with it.
"""

import math
import subprocess
import sys
import textwrap

import pytest

N_OPS = 1_000_000
FACTOR = 1.000001

SCRIPT = textwrap.dedent(
    f"""
    import gc
    import sys

    import diffcli as dc

    # The cyclic collector rescans the million live nodes again and again while
    # they are built; it has nothing to find here, so pause it to keep the test short.
    gc.disable()
    x = dc.tensor(1.0, requires_grad=True)
    y = x
    for _ in range({N_OPS}):
        y = y * {FACTOR!r}
    # A recursive traversal would need a million frames; allow only a few hundred.
    sys.setrecursionlimit(300)
    # retain_graph keeps every node linked, so the teardown below frees the whole chain.
    y.backward(retain_graph=True)
    print(repr(x.grad.item()))
    gc.enable()
    del y
    gc.collect()
    print("freed")
    """
)


def test_million_op_chain_backward_is_correct_and_graph_teardown_survives():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    grad_line, freed_line = proc.stdout.split()
    # d/dx (x * c^n) = c^n; repeated rounding costs at most about n ulps.
    assert float(grad_line) == pytest.approx(math.pow(FACTOR, N_OPS), rel=1e-9)
    assert freed_line == "freed"
