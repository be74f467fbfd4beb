"""Partner organisations of a coalition campaign: their links and embedded forms,
their supporters' consent to hear from them, and the webhooks that tell their tools."""
