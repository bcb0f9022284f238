"""Shared fixtures for the engine tests."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every random input is reproducible."""
    return np.random.default_rng(20240601)
