"""Infrastructure every feature may use, and that uses no feature."""
