"""The ``local-zh`` engine: offline neural Mandarin (Baker voice) on LiteRT: the engine
(``engine``), the model files and their runtime (``model``), the rewrites that make them run
there (``acoustic``, ``vocoder``, ``rewrite``, ``flatbuffer``) and its Mandarin front end
(``frontend/``)."""
