"""Next Steps: the lead pipeline's domain, adapters and web edge."""
