"""How arrays read in human output: whole while small, by their corners when large."""

import numpy as np

from diffcli import render


def test_a_small_matrix_is_shown_whole_with_integers_as_integers():
    assert render.number(np.array([[1.0, 2.5], [3.0, -4.0]])) == "[[1, 2.5], [3, -4]]"


def test_a_large_matrix_is_shown_by_its_corners_as_numpy_prints_it():
    a = np.arange(512 * 512, dtype=float).reshape(512, 512)
    shown = render.number(a)
    def row(r: int) -> str:  # row r holds 512r .. 512r + 511
        first, last = 512 * r, 512 * r + 511
        return f"[{first}, {first + 1}, {first + 2}, …, {last - 2}, {last - 1}, {last}]"

    assert shown == "[" + ", ".join([row(0), row(1), row(2), "…", row(509), row(510),
                                     row(511)]) + "]"
    assert len(shown) < 400


def test_an_array_just_at_the_limit_is_shown_whole():
    whole = np.ones(render.MAX_SHOWN)
    assert render.number(whole).count("1") == render.MAX_SHOWN
    assert "…" in render.number(np.ones(render.MAX_SHOWN + 1))
