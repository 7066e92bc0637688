"""lstmkit's version, in a module of its own so that saving can write it without importing the package."""

__version__ = "0.1.0"
