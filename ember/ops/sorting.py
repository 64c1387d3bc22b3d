"""Sorting and searching: sort, argsort, topk (more in later issues)."""
