"""Package data: the app icon (attache.svg) and the UI line icons (icons/*.svg), read with importlib.resources."""
