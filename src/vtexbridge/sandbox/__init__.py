"""The local VTEX: an ASGI app that serves VTEX's real paths and payloads with VTEX's rules."""
