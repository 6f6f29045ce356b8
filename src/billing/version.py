"""The package version, in a module of its own: the layers read it without the facade."""

__version__ = "0.1.0"
