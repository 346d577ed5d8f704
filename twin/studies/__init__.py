"""Studies on top of the engine: sizing, sweeps, study tables and ensembles."""
