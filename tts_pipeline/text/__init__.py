"""Text stages: the document, segmentation, normalization, the narrator's lexicon, proofreading."""
