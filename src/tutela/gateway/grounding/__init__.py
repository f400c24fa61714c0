"""Grounding on customer data ("on your data"): retrieval, screening of what was retrieved, citations."""
