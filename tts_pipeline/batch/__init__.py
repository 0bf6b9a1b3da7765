"""Many documents in one run: the documents found in files, folders and patterns, each prepared and
checked against its last render, rendered on this machine's cores (``local``) or on a Ray cluster
(``on_ray``), and the batch's report."""
