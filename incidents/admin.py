"""Admin registrations of the incidents app (land with its issue)."""
