"""Outputs: every file a render writes, named in one place (``layout``). The programme streamed
into the audio containers (``programme``, ``containers``), and the files beside the audio
(``sidecars``): subtitles and chapters, the manifest, the listening page (``page/``) and the
overview picture. What reads a render back: the manifest (``manifest_reader``) and
proof-listening (``check/``), whose report is written beside the audio too."""
