"""qa: hybrid retrieval over provisions and answers with verified pinpoint citations."""
