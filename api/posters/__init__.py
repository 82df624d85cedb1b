"""QR posters at room doors: one unguessable token per room, printed as a PDF page per room."""
