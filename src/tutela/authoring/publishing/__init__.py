"""Review and publishing: the workflow, visibility to groups, the source-PDF attachment, quizzes."""
