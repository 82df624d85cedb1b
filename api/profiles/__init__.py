"""An attendee's own profile in one event, and what a badge scan may reveal."""
