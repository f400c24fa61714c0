"""The typeset test documents that scripts/make_test_pdfs.py writes: source text, layout, paper, book."""
