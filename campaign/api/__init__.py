"""The read-only JSON API partners' own tools call with a token (/api/...)."""
