"""PII pseudonymisation before egress: typed placeholders out, the real values back in the answer."""
