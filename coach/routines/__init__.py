"""The built-in exercise scripts and routines (package data)."""
