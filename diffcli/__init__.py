"""diffcli: differentiate expressions, checked three ways."""

__version__ = "0.1.0"
