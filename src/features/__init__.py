"""Features: one package per feature, one folder per use case (slice)."""
