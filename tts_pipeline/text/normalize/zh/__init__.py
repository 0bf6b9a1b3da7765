"""Chinese (Mandarin) text normalization: the pipeline (``pipeline``) and its rule sets by
what they read (``literal``, ``when``, ``amounts``), on shared patterns (``patterns``)."""
