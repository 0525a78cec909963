"""Tampering cannot buy points on a05: see tampering.py."""

from tampering import *  # noqa: F403 (the generic tampering tests, run for ASSIGNMENT)

ASSIGNMENT = "a05"
