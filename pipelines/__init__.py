"""Item pipelines: what happens to a capture after it is recorded."""
