"""Use cases: each coordinates the core and the ports for one step of the pipeline."""
