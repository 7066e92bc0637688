"""Ported Keras tests: `_testing` (Keras's TestCase for lstmkit) is importable as a top-level module."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_trainable_backend: Keras's mark (JAX is one)")
