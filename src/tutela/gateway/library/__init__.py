"""The organization's library: a region-local, encrypted retrieval index of shared documents."""
