"""Connections to the mail servers, shared by intake and delivery.

What both sides need and neither owns: a client TLS context, an IMAP or SMTP
connection that is secured and logged in, and the up/down bookkeeping of the
servers they talk to. This package imports nothing of ours but `config`, so
`ingest` and `responder` can both use it without importing each other.
"""
