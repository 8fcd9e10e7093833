"""Models of the knowledgebase app (lands with its issue)."""
