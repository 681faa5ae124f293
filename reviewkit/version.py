"""reviewkit's version, in a module of its own so that core modules can name it without importing the
package's public face (``reviewkit/__init__``), which imports them."""

from __future__ import annotations

__version__ = "0.1.0"
