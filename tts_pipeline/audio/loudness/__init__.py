"""Loudness (ITU-R BS.1770-4 / EBU R128): the meter (``meter``), the true-peak limiter
(``limiter``), the streaming leveller that brings a programme to its target (``leveller``), and
the measurements kept between renders (``measurements``)."""
