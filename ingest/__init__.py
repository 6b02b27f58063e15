"""ingest: official texts -> Document / Provision trees with stable ids and citations. Knows nothing of the store."""
