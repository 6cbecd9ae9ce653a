"""The `isocycle` command line."""
