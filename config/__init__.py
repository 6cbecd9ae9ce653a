"""Configuration: one Settings object and the data files (calendars, reminder policy)."""
