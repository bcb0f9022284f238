"""A batch's results as they are done: chunks on stdout, Ctrl-C keeps the finished ones
(exit 130, one line counting them), --output is whole or absent, a closed pipe is 141."""

import io
import json
import signal
import subprocess
import sys
import time

from diffcli import render

from .helpers import ROOT

# Point by point with a check (a reduction of vectors): slow enough to interrupt midway.
SLOW = ("grad", "sum(x**2)", "--json", "--check")


def _vectors(path, n):
    path.write_text("".join(json.dumps({"x": [0.1 * i, 1.0, 2.0]}) + "\n" for i in range(n)))
    return str(path)


def _start(*args):
    return subprocess.Popen([sys.executable, "-m", "diffcli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_ctrl_c_keeps_the_whole_lines_written_and_says_how_many(tmp_path):
    proc = _start(*SLOW, "--points", _vectors(tmp_path / "p.ndjson", 300))
    # Two points written: past the imports of the first points, where Python may drop a
    # KeyboardInterrupt (raised inside the import system's weakref callbacks).
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    proc.send_signal(signal.SIGINT)
    lines += proc.stdout.read().splitlines()
    stderr = proc.stderr.read()
    assert proc.wait() == 130
    docs = [json.loads(line) for line in lines]  # every line is whole JSON
    assert [d["line"] for d in docs] == list(range(1, len(docs) + 1))
    # d/dx sum(x**2) = 2x, by hand, for the points written
    assert all(d["gradient"]["x"] == [0.2 * (d["line"] - 1), 2.0, 4.0] for d in docs)
    assert stderr == f"error: interrupted: {len(docs)} of 300 results written\n"
    assert len(docs) < 300


def test_ctrl_c_with_output_leaves_no_partial_file_and_no_temporary(tmp_path):
    out = tmp_path / "out" / "results.ndjson"
    out.parent.mkdir()
    proc = _start(*SLOW, "--points", _vectors(tmp_path / "p.ndjson", 300), "--output", str(out))
    deadline = time.monotonic() + 60
    # Two points in the temporary (chunks reach it as they are done), as above.
    while sum(p.read_text().count("\n") for p in out.parent.iterdir()) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stderr = proc.stderr.read()
    assert proc.wait() == 130
    assert list(out.parent.iterdir()) == []
    assert stderr.startswith(f"error: interrupted: {out} not written (")
    assert len(stderr.splitlines()) == 1


def test_a_large_batch_into_a_pipe_closed_early_exits_141_quietly(tmp_path):
    points = tmp_path / "big.ndjson"
    points.write_text("".join(json.dumps({"x": i / 7, "y": 1.5}) + "\n" for i in range(60_000)))
    proc = _start("grad", "sin(x)*exp(y) + x**3*y", "--points", str(points), "--json")
    first = json.loads(proc.stdout.readline())
    proc.stdout.close()  # as `| head -1` does
    assert proc.wait() == 141
    assert proc.stderr.read() == ""
    assert first["line"] == 1 and first["gradient"]["y"] == 0.0  # x = 0: sin(0) e^y + 0**3


def test_lines_are_written_once_a_chunk_is_full_or_a_second_has_passed(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(render.time, "monotonic", lambda: clock[0])
    stream = io.StringIO()
    sink = render.Lines(stream)
    sink.CHUNK = 30
    sink.add(["a" * 10])
    assert stream.getvalue() == "" and sink.written == 0  # neither full nor a second old
    clock[0] += 1.0
    sink.add(["b" * 10])
    assert stream.getvalue() == "a" * 10 + "\n" + "b" * 10 + "\n" and sink.written == 2
    sink.add(["c" * 40])  # a full chunk goes at once
    assert stream.getvalue().endswith("c" * 40 + "\n") and sink.written == 3
    sink.add(["d"])
    sink.flush()
    assert stream.getvalue().splitlines() == ["a" * 10, "b" * 10, "c" * 40, "d"]
    assert sink.written == 4
