"""The text stages: load a document in any supported format, clean page chrome, find the title."""
