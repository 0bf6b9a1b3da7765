"""Audio stages: each take trimmed (``trim``) and placed with exact pauses (``timeline``),
levelled and limited (``loudness/``), and streamed as one programme into the encoders
(``programme``), its waveform envelope gathered on the way (``envelope``)."""
