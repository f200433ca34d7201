"""Everything Qt: the main window, its models, delegates, drop targets and dialogs.

This is the only package that imports Qt; it adapts the core, the backends and the transfer
engine, and does no network I/O on the GUI thread (see `tasks.run_task`).
"""
