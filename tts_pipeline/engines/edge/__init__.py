"""The ``edge`` engine: Microsoft's online neural voices through the edge-tts package
(``engine``), with its endpoint, retry policy, text preparation, audio decoding and voice list."""
