"""Audio stages, one take at a time: each take trimmed (``trim``) and placed with exact pauses
(``timeline``), levelled and limited (``loudness/``); the programme's waveform envelope
(``envelope``)."""
