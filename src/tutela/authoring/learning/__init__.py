"""A learner's way through a published module: lessons seen, where they left off, the quiz passed, done."""
