"""Business logic. Nothing in here reads `request` or renders pages."""
