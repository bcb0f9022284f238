"""A fork server for pytest, so that one mutant's tests cost seconds rather than half a minute.

Most of a test run's start-up is importing numpy, sympy, hypothesis and pytest itself.
The server imports them once and, for each request, forks a child that runs pytest with
the request's arguments; the child imports diffcli afresh from disk, so it sees the
mutant that mutmut has just written. The child writes no bytecode: a mutant of the same
size written within the same second as another would otherwise be read back from a
stale ``.pyc``.

    python tools/test_server.py serve SOCKET &        # once, before mutmut
    python tools/test_server.py run SOCKET -- -x -q tests/verify/test_judging.py

``run`` exits with pytest's status. When ``run`` is killed (mutmut's timeout), the
server kills that child too, so a hanging mutant does not hold up the next.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import time

POLL_SECONDS = 0.05


def serve(path: str) -> None:
    """Import the heavy libraries, then run one pytest child per connection, one at a time."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no idle BLAS threads to fork
    import hypothesis  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import sympy  # noqa: F401
    import typer  # noqa: F401

    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    while True:
        connection, _ = listener.accept()
        with connection:
            request = json.loads(connection.makefile("r").readline())
            status = _run_child(connection, request["args"], request["cwd"])
            with contextlib.suppress(OSError):  # the client is gone (killed on timeout)
                connection.sendall(f"{status}\n".encode())


def _run_child(connection: socket.socket, args: list[str], cwd: str) -> int:
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        os.chdir(cwd)
        sys.path.insert(0, cwd)
        sys.dont_write_bytecode = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        os._exit(int(pytest.main(args)))
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        readable, _, _ = select.select([connection], [], [], POLL_SECONDS)
        if readable and not connection.recv(1):  # the client hung up: stop its tests
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL


def run(path: str, args: list[str]) -> int:
    """Ask the server to run pytest with ``args`` here; return pytest's exit status."""
    for _ in range(600):  # the server may still be importing
        try:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            client.close()
            time.sleep(0.1)
    else:
        print(f"no test server at {path}", file=sys.stderr)
        return 3
    with client:
        client.sendall((json.dumps({"args": args, "cwd": os.getcwd()}) + "\n").encode())
        reply = client.makefile("r").readline()
    return int(reply) if reply.strip() else 3


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "serve":
        serve(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "run":
        rest = argv[2:]
        return run(argv[1], rest[1:] if rest[:1] == ["--"] else rest)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
