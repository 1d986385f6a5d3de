"""Who may see what: local accounts, sign-in with lockout, scopes, and the audit trail.

Pure Python, no Streamlit: the dashboard and the CLI call it. It imports only the
standard library, argon2-cffi, tomli-w and pipelines (for the store's default path).
"""
