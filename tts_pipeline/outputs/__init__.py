"""Outputs: every file a render writes, named in one place (``layout``). The programme streamed
into the audio containers (``programme``, ``containers``), and the files beside the audio
(``sidecars``): subtitles and chapters, the manifest, the listening page (``page/``) and the
overview picture."""
