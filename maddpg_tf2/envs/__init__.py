"""Batched multi-agent environments."""
