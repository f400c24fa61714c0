"""Sharing uploaded documents with AI resources, for "on your data" (the index lives in gateway/library)."""
