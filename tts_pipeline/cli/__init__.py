"""The ``tts-pipeline`` command line (typer): the app and its commands (``app``), each option
declared once (``options``), and what the commands draw (``progress``, ``plan_view``)."""
