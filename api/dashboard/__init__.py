"""The organizer's dashboard: attendance and check-ins, and networking in aggregate only."""
