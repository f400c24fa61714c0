"""Generated images answered as links: sealed in the organization's region, served to its own keys only."""
