"""Bodies, representatives, their importers and the directory."""
