"""Custom prompt templates for generation, versioned (permission `prompts.edit`)."""
