"""One module per service behind one protocol (`base.Backend`), plus the shared HTTP session."""
