"""`diffcli plot`: what was drawn, read back from the SVG, the PNG and the terminal text."""

import math
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from .helpers import run_process

SVG = "{http://www.w3.org/2000/svg}"
CLIPPED = re.compile(r"note: (.+?): y-range clipped to \[(\S+), (\S+)\]; values beyond it near "
                     r"x = (.+) not shown")


def pieces(svg_path, order: int) -> int:
    """How many separate strokes (moveto commands) the curve of this order is drawn with."""
    root = ET.parse(svg_path).getroot()
    group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"curve-{order}")
    return sum(path.get("d").count("M") for path in group.iter(f"{SVG}path"))


def test_tan_over_minus_3_to_3_is_drawn_in_three_pieces_split_at_its_poles(cli, tmp_path):
    out = tmp_path / "tan.svg"
    run = cli("plot", "tan(x)", "--from", "-3", "--to", "3", "--output", str(out))
    assert run.code == 0, run.stderr
    # tan has poles at -pi/2 and pi/2 in [-3, 3]: three branches, none joined through infinity.
    assert pieces(out, 0) >= 3
    # and its derivative 1/cos(x)^2 has the same two poles
    assert pieces(out, 1) >= 3


def test_a_smooth_curve_is_one_unbroken_stroke(cli, tmp_path):
    out = tmp_path / "sin.svg"
    run = cli("plot", "sin(x) * exp(x/3)", "--from", "0", "--to", "6", "--order", "2",
              "--output", str(out))
    assert run.code == 0, run.stderr
    assert [pieces(out, k) for k in range(3)] == [1, 1, 1]
    assert "clipped" not in run.stderr


def test_abs_is_whole_but_its_derivative_jumps_at_0(cli, tmp_path):
    out = tmp_path / "abs.svg"
    # 401 samples put one exactly at the kink, where the derivative steps -1 -> 0 -> 1.
    run = cli("plot", "abs(x)", "--from", "-1", "--to", "1", "--samples", "401",
              "--output", str(out))
    assert run.code == 0, run.stderr
    assert pieces(out, 0) == 1
    assert pieces(out, 1) == 2


def test_the_y_range_ignores_the_poles_and_says_where_they_are(cli, tmp_path):
    run = cli("plot", "tan(x)", "--from", "-3", "--to", "3", "--order", "0",
              "--output", str(tmp_path / "tan.svg"))
    (note,) = CLIPPED.findall(run.stderr)
    label, lo, hi, near = note
    assert label == "tan(x)"
    # most of tan over [-3, 3] lies within |y| < 20; the poles go past any bound
    assert -100 < float(lo) < -10 and 10 < float(hi) < 100
    places = [float(v) for v in near.split(", ")]
    assert len(places) == 2
    for place, pole in zip(sorted(places), (-math.pi / 2, math.pi / 2)):
        assert abs(place - pole) < 0.03


def test_png_has_the_asked_size_and_is_not_blank(cli, tmp_path):
    image = pytest.importorskip("matplotlib.image")
    out = tmp_path / "f.png"
    run = cli("plot", "exp(sin(x))", "--from", "0", "--to", "6", "--order", "2",
              "--size", "640x480", "--output", str(out))
    assert run.code == 0, run.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (640, 480)
    pixels = image.imread(out)
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 1


def test_terminal_chart_axes_span_the_range_and_the_clipped_y_range(cli):
    run = cli("plot", "1/x", "--from", "-1", "--to", "1", "--order", "0", env={"COLUMNS": "90"})
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "1/x  over x in [-1, 1]"
    x_labels = [float(v) for v in lines[-1].replace(",", "").split()]
    assert x_labels[0] == -1 and all(-1 <= v <= 1 for v in x_labels) and len(x_labels) >= 3
    y_labels = [float(m) for m in re.findall(r"│ (-?[\d.,]+)$", run.stdout, re.M)]
    ((_, lo, hi, near),) = CLIPPED.findall(run.stderr)
    assert y_labels and all(float(lo) <= v <= float(hi) for v in y_labels)
    assert float(near) == pytest.approx(0, abs=0.01)  # 1/x's pole
    # the frame holds the curve: every chart row sits between the corners
    assert sum(line.startswith("┌") for line in lines) == 1


def test_terminal_chart_has_one_panel_per_order(cli):
    run = cli("plot", "x**3", "--from", "-2", "--to", "2", "--order", "2")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line for line in lines if line in ("x**3", "∂/∂x", "∂²/∂x²")] == ["x**3", "∂/∂x", "∂²/∂x²"]
    assert sum(line.startswith("┌") for line in lines) == 3


def test_other_variables_are_held_at_their_at_values(cli, tmp_path):
    run = cli("plot", "a*x**2", "--wrt", "x", "--at", "a=3", "--from", "-1", "--to", "1",
              "--check")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[0] == "a*x**2  over x in [-1, 1]  at a = 3"
    # the check compared 400 samples of the one derivative drawn
    assert "agrees with sympy at 400 sampled values" in run.stdout


def test_check_compares_every_sampled_order_with_sympy(cli):
    run = cli("plot", "exp(sin(x))", "--from", "-2", "--to", "2", "--order", "3",
              "--samples", "50", "--check")
    assert run.code == 0, run.stderr
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("check:")]
    found = re.fullmatch(r"check: autograd agrees with sympy at 150 sampled values "
                         r"\(largest difference (\S+), ∂\S*/∂x\S* at x = \S+\)", line)
    assert found, line
    assert float(found.group(1)) < 1e-10


def test_check_names_the_order_and_place_where_autograd_is_wrong(cli, monkeypatch):
    from diffcli import batch

    real = batch.derivatives

    def off_by_one_percent_at_one_point(*args, **kwargs):
        orders = real(*args, **kwargs)
        orders[1][10] *= 1.01
        return orders

    monkeypatch.setattr(batch, "derivatives", off_by_one_percent_at_one_point)
    run = cli("plot", "x**2", "--from", "0", "--to", "1", "--samples", "11", "--check")
    assert run.code == 1
    # at x = 1 the derivative 2x is 2; the planted error makes it 2.02
    assert "check: autograd DISAGREES with sympy: ∂/∂x at x = 1: autograd 2.02, sympy 2 " \
           "(1 of 11 points)" in run.stdout


def test_check_leaves_out_samples_at_a_kink(cli):
    run = cli("plot", "relu(x)", "--from", "-1", "--to", "1", "--samples", "21", "--check")
    assert run.code == 0, run.stderr
    assert "1 samples at a kink were left out" in run.stdout


@pytest.mark.parametrize("args, message", [
    (["x**2", "--from", "1", "--to", "0"], "--from must be below --to, got 1 and 0"),
    (["x*y", "--from", "0", "--to", "1"], "--wrt is needed: the expression has the variables 'x', 'y'"),
    (["x**2", "--from", "0", "--to", "1", "-o", "f.jpg"], "the name must end in one of .png, .svg"),
    (["x**2", "--from", "0", "--to", "1", "-o", "f.png", "--size", "big"], "--size expects WIDTHxHEIGHT"),
    (["x*y", "--wrt", "x", "--from", "0", "--to", "1"], "no value for 'y'"),
    (["x**2", "--from", "zero", "--to", "1"], "--from: not a number"),
])
def test_bad_requests_exit_2_with_one_line(cli, args, message):
    run = cli("plot", *args)
    assert run.code == 2
    assert message in run.stderr and len(run.stderr.splitlines()) == 1


def test_an_unwritable_output_leaves_nothing_behind(cli, tmp_path):
    run = cli("plot", "x**2", "--from", "0", "--to", "1", "-o", str(tmp_path / "no" / "f.png"))
    assert run.code == 2
    assert "cannot write" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_finished_picture_replaces_the_old_file_with_no_temporary_left(cli, tmp_path):
    out = tmp_path / "f.svg"
    out.write_text("old")
    assert cli("plot", "x**2", "--from", "0", "--to", "1", "-o", str(out)).code == 0
    assert out.read_text().lstrip().startswith("<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["f.svg"]


@pytest.mark.parametrize("hidden, args", [
    ("matplotlib", ["-o", "f.png"]),
    ("uniplot", []),
])
def test_without_the_plot_extra_the_error_names_it(tmp_path, hidden, args):
    fake = tmp_path / hidden
    fake.mkdir()
    (fake / "__init__.py").write_text(f'raise ImportError("No module named {hidden}")\n')
    run = run_process("plot", "x**2", "--from", "0", "--to", "1", *args,
                      env={"PYTHONPATH": str(tmp_path)})
    assert run.code == 2
    assert run.stderr == "error: plotting needs the plot extra: pip install 'diffcli[plot]'\n"


def test_a_terminal_plot_imports_neither_sympy_rich_nor_matplotlib():
    run = run_process("plot", "sin(x)", "--from", "0", "--to", "3", python_flags=("-X", "importtime"))
    assert run.code == 0
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert any(m.split(".")[0] == "uniplot" for m in imported)  # it did draw
    assert not {m for m in imported if m.split(".")[0] in ("sympy", "rich", "matplotlib")}


def test_a_curve_with_no_finite_value_says_so_instead_of_drawing(cli):
    run = cli("plot", "sqrt(x)", "--from", "-2", "--to", "-1", "--order", "0")
    assert run.code == 0, run.stderr
    assert "  not finite anywhere in [-2, -1]" in run.stdout.splitlines()


def test_clipped_values_are_placed_where_they_are_not_amid_the_undefined_part(cli, tmp_path):
    # sqrt is nan left of 0; its derivative 1/(2 sqrt(x)) runs off the top just right of 0
    run = cli("plot", "sqrt(x)", "--from", "-1", "--to", "1", "-o", str(tmp_path / "s.svg"))
    ((label, _, _, near),) = CLIPPED.findall(run.stderr)
    assert label == "∂/∂x"
    assert 0 < float(near) < 0.05


def test_a_shape_error_points_at_the_operator_in_the_text_typed(cli):
    run = cli("plot", "sin(x) + x@y", "--wrt", "x", "--from", "0", "--to", "1", "--at", "y=2")
    assert run.code == 2
    assert run.stderr.splitlines() == [
        "error: () @ (): '@' needs arrays of at least one axis (use * for a number)",
        "  sin(x) + x@y",
        "            ^",
    ]
