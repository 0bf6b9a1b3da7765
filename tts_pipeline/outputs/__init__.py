"""What a render leaves behind, and what reads it back (proof-listening: ``check``)."""
