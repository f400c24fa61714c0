"""`/v1/fine_tuning/jobs`: fine-tuning forwarded to the customer's own OpenAI or Azure OpenAI upstream."""
