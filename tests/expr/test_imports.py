"""The language stands on the engine alone and loads only what parsing needs."""

import ast
import subprocess
import sys
from pathlib import Path

import diffcli.expr

EXPR = Path(diffcli.expr.__file__).parent


def _absolute_imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
    return names


def test_expr_imports_nothing_of_the_package_but_the_engine():
    upward = {
        f"{path.name}: {name}"
        for path in EXPR.glob("*.py")
        for name in _absolute_imports(path)
        if name.split(".")[0] == "diffcli" and not name.startswith("diffcli.autograd")
    }
    assert upward == set()


def test_importing_expr_after_the_package_loads_only_the_language_modules():
    # Nothing of the engine: `import diffcli` loads it only on first use of its names.
    code = ("import sys, diffcli; before = set(sys.modules); import diffcli.expr; "
            "print(*sorted(set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = out.stdout.split()
    ours = [name for name in loaded if name.startswith("diffcli")]
    assert ours and all(name.startswith("diffcli.expr") for name in ours), loaded
