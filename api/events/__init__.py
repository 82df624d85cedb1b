"""Events: their dates, languages, schedule, interest vocabulary and staff."""
