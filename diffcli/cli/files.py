"""Files the CLI writes (charts, batch results) and the optional extras they need.

Every output file is written under a temporary name beside it and renamed only when
whole, so a reader never sees half a file and a failed run leaves the old one intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import BadInput


def need(module: str, extra: str, purpose: str) -> Any:
    """Import an optional extra's module, or stop with the one line that names the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise BadInput(f"{purpose} needs the {extra} extra: pip install 'diffcli[{extra}]'") from None


def suffix(path: str, allowed: tuple[str, ...], flag: str) -> str:
    """The file's suffix without the dot, lower case, if it is one of `allowed`."""
    found = Path(path).suffix.lower().lstrip(".")
    if found not in allowed:
        choices = ", ".join(f".{a}" for a in allowed)
        raise BadInput(f"{flag} {path}: the name must end in one of {choices}")
    return found


@contextlib.contextmanager
def written(path: str) -> Iterator[str]:
    """A temporary path beside `path`, renamed to `path` when the block ends without error."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                             dir=target.parent if str(target.parent) else ".")
    except OSError as err:
        raise BadInput(f"cannot write {path}: {err.strerror}") from None
    os.close(handle)
    try:
        yield temporary
        # mkstemp makes the file private; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
