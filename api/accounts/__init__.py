"""The signed-in person: language and the events they belong to."""
