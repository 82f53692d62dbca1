"""Market feeds: simulated (GBM), replay of recorded files."""
