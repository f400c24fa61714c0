"""Authoring's persistent product: source documents, modules, check reports, attempts, generation jobs."""
