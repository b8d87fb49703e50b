"""Evidence bundles: a signed WACZ of the whole collection or of chosen captures, for legal teams."""
