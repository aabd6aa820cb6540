"""Local tooling: the local stack, the stream pump and the staff CLI (never deployed)."""
