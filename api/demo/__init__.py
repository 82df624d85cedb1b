"""A demo event with a few hundred varied attendees, for trying Enlace out."""
