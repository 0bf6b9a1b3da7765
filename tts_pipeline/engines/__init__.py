"""Speech engines: the Engine protocol and its Take (``base``), which engine a voice names
(``registry``), and the engines themselves: ``local_zh/`` (offline neural Mandarin), ``edge/``
(Microsoft's online voices through edge-tts) and ``espeak`` (eSpeak NG)."""
