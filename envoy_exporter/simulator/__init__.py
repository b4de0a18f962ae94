"""A simulated Envoy speaking real HTTP(S) with real auth, from built-in profiles or captures.

It is a gateway: it imports nothing of the client or the exporter.
"""
