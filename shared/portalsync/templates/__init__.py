"""Mail templates, one file per kind and locale: a Subject line, a blank line, then the body."""
