"""Synthetic verifiable tasks and the tiny local model builder (tests, CI, the CPU demo)."""
