"""Rate limits and token budgets per API key, AI resource, organization and user (see limiter.py)."""
