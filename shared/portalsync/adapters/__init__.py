"""Adapters: Google (Directory, Licensing, Gmail, Sheets), Firestore, e-mail, roster sources."""
