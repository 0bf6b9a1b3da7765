"""Text stages, all pure: a document read and cleaned, its title and chapters (``document``), its
paragraphs cut into utterances with pauses (``segment``), and written text turned into the
words a narrator says (``normalize/``)."""
