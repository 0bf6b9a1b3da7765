"""Proof-listening (``tts-pipeline check``): a speech recogniser transcribes each utterance of a
render (``recogniser``, with the packaged model of ``asr_model``), the transcript is compared with
the spoken text (``scoring``), the utterances far worse than the rest are flagged (``report``),
and ``run`` puts it together: the render's files in, ``<stem>.check.json`` (and the marked
listening page) out. Needs the ``check`` extra."""
