"""One blueprint per audience, with nothing on it: the features' view modules add their
routes when imported, and campaign.routes imports them all (so no feature is imported
from here)."""
