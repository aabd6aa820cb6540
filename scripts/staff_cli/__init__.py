"""The staff command line's parts: where, errors in words, rendering, commands."""
