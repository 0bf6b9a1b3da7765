"""Synthesis: every utterance a take. The take keys (``keys``), which takes are missing and
running an engine on them (``run``), the fallback voice (``fallback``), the takes handed to the
programme as they arrive (``feed``), and where takes are kept (``store``, ``cache``)."""
