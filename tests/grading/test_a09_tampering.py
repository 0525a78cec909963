"""Tampering cannot buy points on a09: see tampering.py."""

from tampering import *  # noqa: F403 (the generic tampering tests, run for ASSIGNMENT)

ASSIGNMENT = "a09"
