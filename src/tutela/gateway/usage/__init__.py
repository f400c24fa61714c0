"""Usage aggregates per day × deployment × model × key × user: counts and timings, never content."""
