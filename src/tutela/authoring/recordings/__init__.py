"""Authoring from recordings: upload audio or video, transcribe it through the gateway, correct the
transcript, then generate a module from it like from a PDF (its segments in place of pages)."""
