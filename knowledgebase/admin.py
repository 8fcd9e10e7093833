"""Admin registrations of the knowledgebase app (land with its issue)."""
