"""diffcli.verify: every public name resolves, and a gradient loads only the autograd witness."""

import subprocess
import sys

import diffcli.verify as verify


def test_every_public_name_resolves_to_the_module_that_defines_it():
    for name in verify.__all__:
        value = getattr(verify, name)
        assert getattr(value, "__module__", "diffcli.verify").startswith("diffcli.verify")


def test_a_gradient_without_a_check_loads_only_the_autograd_witness():
    code = ("import sys; from diffcli import verify; from diffcli.expr import parse; "
            "verify.gradient(parse('x**2'), {'x': 3.0}, ['x']); "
            "print(sorted(m for m in sys.modules if m.startswith('diffcli.verify.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["['diffcli.verify.autograd_witness',", "'diffcli.verify.common']"]
