"""`/v1/files`: files of an AI resource (fine-tuning, batch, assistants), sealed in its region."""
