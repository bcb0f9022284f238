"""Running a job under a time budget: in a forked child that is killed when it runs past
its budget, or in sympy's worker, forked first thing by a command that will check
(`prestart`), so that sympy's start-up overlaps the rest of it."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import struct
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_with_budget(job: Callable[[], T], timeout: float,
                    meanwhile: Callable[[], object] | None = None) -> tuple[T | None, str | None]:
    """(result, None) from job() in a forked child, or (None, reason) when it fails or
    runs past `timeout` seconds (the child is then killed). `meanwhile()` runs here while
    the child works (the budget counts from the start). A job that pickles (a
    functools.partial of module functions) goes to the prestarted worker if there is
    one. Threads stand in where fork is missing; a thread cannot be killed, so there the
    budget only stops the wait."""
    if timeout <= 0:
        if meanwhile is not None:
            meanwhile()
        return None, "skipped: timed out"
    if _WORKER:
        worker = _WORKER.pop()
        try:
            payload = pickle.dumps(job)
        except (pickle.PicklingError, AttributeError, TypeError):  # a closure: fork below
            worker.stop()
        else:
            return worker.run(payload, timeout, meanwhile)
    import multiprocessing  # here, not at the top: a gradient without a check needs none of it

    import diffcli.expr.symbolic  # noqa: F401  (sympy is imported once; children share it)

    if "fork" not in multiprocessing.get_all_start_methods():
        return _run_in_thread(job, timeout, meanwhile)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def target():
        try:
            result = ("ok", job())
        except BaseException as exc:  # the child reports every failure, then exits
            result = ("error", f"{type(exc).__name__}: {exc}"[:500])
        send.send(result)

    proc = ctx.Process(target=target, daemon=True)
    start = time.monotonic()
    proc.start()
    send.close()
    try:
        if meanwhile is not None:
            meanwhile()
        if not receive.poll(max(0.0, timeout - (time.monotonic() - start))):
            return None, "skipped: timed out"
        status, payload = receive.recv()
    except EOFError:
        return None, "skipped: sympy crashed"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    return (payload, None) if status == "ok" else (None, f"skipped: sympy failed ({payload})")


def _run_in_thread(job, timeout: float, meanwhile):
    import threading

    box: dict = {}

    def target():
        try:
            box["ok"] = job()
        except BaseException as exc:
            box["error"] = f"{type(exc).__name__}: {exc}"[:500]

    thread = threading.Thread(target=target, daemon=True)
    start = time.monotonic()
    thread.start()
    if meanwhile is not None:
        meanwhile()
    thread.join(max(0.0, timeout - (time.monotonic() - start)))
    if thread.is_alive():
        return None, "skipped: timed out"
    if "error" in box:
        return None, f"skipped: sympy failed ({box['error']})"
    return box["ok"], None


class _Worker:
    """A forked child that imports sympy, says so, runs one pickled job and answers."""

    def __init__(self, pid: int, jobs: int, results: int) -> None:
        self.pid, self.jobs, self.results = pid, jobs, results

    def run(self, payload: bytes, timeout: float,
            meanwhile: Callable[[], object] | None = None) -> tuple[Any, str | None]:
        """The job's (result, None), or (None, why not) after `timeout` seconds of work,
        `meanwhile()` running here in the meantime; the wait for sympy's import comes
        first and is not counted."""
        try:
            # The job waits in the pipe, so the worker starts it the moment sympy is in
            # rather than after a message to here and back.
            _send(self.jobs, payload)
            if _receive(self.results) != ("ready", None):
                raise EOFError
            start = time.monotonic()
            if meanwhile is not None:
                meanwhile()
            left = max(0.0, timeout - (time.monotonic() - start))
            if not select.select([self.results], [], [], left)[0]:
                return None, "skipped: timed out"
            status, answer = _receive(self.results)
        except (EOFError, OSError):
            return None, "skipped: sympy crashed"
        finally:
            self.stop()
        return (answer, None) if status == "ok" else (None, f"skipped: sympy failed ({answer})")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.jobs)
        os.close(self.results)


_WORKER: list[_Worker] = []  # the prestarted worker, until a job takes it


def stop_worker() -> None:
    """Stop the prestarted worker that no job took (a run interrupted before its check)."""
    while _WORKER:
        _WORKER.pop().stop()


def prestart() -> None:
    """Fork sympy's worker now, to import sympy while the caller goes on with its own
    start-up; the next run_with_budget hands it its job. Call it before the heavy imports
    (typer, the engine), which the worker does not need."""
    if _WORKER or not hasattr(os, "fork"):
        return
    jobs_read, jobs_write = os.pipe()
    results_read, results_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(jobs_write)
        os.close(results_read)
        _serve(jobs_read, results_write)
    os.close(jobs_read)
    os.close(results_write)
    _WORKER.append(_Worker(pid, jobs_write, results_read))


def _serve(jobs: int, results: int) -> None:
    """The worker's life: never returns. It leaves the terminal and the caller's pipes
    (a reader waiting for the end of stdout must not wait for it), and ends when its job
    is answered or the caller goes away without one."""
    try:
        quiet = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(quiet, fd)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller; it kills us
        import diffcli.expr.symbolic  # noqa: F401  (sympy)

        if not gc.isenabled():  # imported without the collector (see cli.launch)
            gc.freeze()
            gc.enable()
        _send(results, pickle.dumps(("ready", None)))
        job = pickle.loads(_receive_bytes(jobs))
        try:
            reply = ("ok", job())
        except BaseException as exc:  # the worker reports every failure, then exits
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500])
        _send(results, pickle.dumps(reply))
    finally:
        # Whatever happened, the worker ends here: nothing reads its exit status, and an
        # exception must not unwind into the caller's code that forked it.
        os._exit(0)


_LENGTH = struct.Struct("!Q")


def _send(fd: int, payload: bytes) -> None:
    view = memoryview(_LENGTH.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


def _receive_bytes(fd: int) -> bytes:
    (size,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size))
    return _read_exactly(fd, size)


def _receive(fd: int) -> Any:
    return pickle.loads(_receive_bytes(fd))


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
