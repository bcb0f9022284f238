"""One module per command; each owns its options, its work and its drawing."""
