"""Suite-wide settings."""

import os

from hypothesis import settings

# On CI the property tests replay a fixed sequence of examples, so a run is reproducible;
# locally they keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
# Mutation testing (tools/mutation.sh) runs the suite once per mutant: the same few
# examples every time, so a mutant's verdict is reproducible and the run ends.
settings.register_profile("mutation", derandomize=True, deadline=None, max_examples=20)
if os.environ.get("DIFFCLI_MUTATION"):
    settings.load_profile("mutation")
elif os.environ.get("CI"):
    settings.load_profile("ci")
