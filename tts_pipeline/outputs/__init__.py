"""Outputs: every file a render writes, named in one place (``layout``): the audio containers
(``containers``, through ``ffmpeg``), subtitles and chapters, the manifest, the listening page
(``page/``) and the overview picture."""
