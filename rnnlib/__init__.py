"""rnnlib."""
