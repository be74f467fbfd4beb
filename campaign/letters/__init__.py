"""Letter templates, their checks and sandbox, composition, the editor."""
