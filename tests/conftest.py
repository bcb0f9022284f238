"""Suite-wide settings."""

import os

from hypothesis import settings

# On CI the property tests replay a fixed sequence of examples, so a run is reproducible;
# locally they keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
