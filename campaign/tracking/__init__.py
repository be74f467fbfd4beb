"""Events, inbound replies, surveys, rollups, reports."""
