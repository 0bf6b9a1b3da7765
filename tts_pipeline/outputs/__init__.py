"""Outputs: the files a render writes (containers, subtitles, manifest, page, overview)."""
