"""Porch: a small ActivityPub server for slower, kinder conversation."""

from pathlib import Path

__version__ = "0.1.0"

#: The repository root; templates/, static/ and migrations/ live beside the packages.
ROOT = Path(__file__).resolve().parent.parent
