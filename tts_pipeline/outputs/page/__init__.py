"""The listening page (``<stem>.html``): what it shows, built from the manifest (``model``), the
self-contained HTML file (``html``, ``assets/``), and finding and opening it (``find``)."""
