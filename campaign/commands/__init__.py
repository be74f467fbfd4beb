"""flask command groups, one module per area; campaign.cli registers them."""
