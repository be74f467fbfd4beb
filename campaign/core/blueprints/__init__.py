"""One blueprint per audience; the features' view modules add routes."""
