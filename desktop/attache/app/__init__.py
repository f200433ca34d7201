"""The application layer, shared by the CLI and the window, Qt-free: opening connections, signing
in, resolving which account a command means, building the transfer engine. Services come from
the registry (`attache.core.services`); nothing here names one."""
