"""Loudness (ITU-R BS.1770-4 / EBU R128): the meter (``meter``), the true-peak limiter
(``limiter``) and the streaming leveller that brings a programme to its target (``leveller``)."""
