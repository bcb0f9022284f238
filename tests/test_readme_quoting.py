"""The README's vector values are quoted: unquoted, `x=[1,2,3]` is a shell file pattern."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_vector_value_in_the_readme_is_quoted():
    text = README.read_text(encoding="utf-8")
    unquoted = re.findall(r"""--at\s+(?!['"])[A-Za-z_]\w*=\[""", text)
    assert unquoted == []
    assert re.search(r"""--at\s+['"][A-Za-z_]\w*=\[""", text)  # the pattern still finds them
