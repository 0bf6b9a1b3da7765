"""Text stages, all pure: a document read in any supported format and cleaned of page chrome,
its title and chapters (``document``), its paragraphs cut into utterances with pauses
(``segment``), written text turned into the words a narrator says (``normalize/``), the user's
lexicon (``lexicon``), near misses of set phrases (``proofread``) and both applied to an
utterance's text (``respell``)."""
