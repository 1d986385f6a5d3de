"""Write side of fbss-outcomes: read, validate and load clinics' case records."""
