"""A local stand-in for Google's Admin SDK (Directory, Licensing), Gmail, IAM Credentials and OAuth.

It serves the paths, parameters and bodies of the discovery documents bundled with google-api-python-client,
so the real client runs against it unmodified. It imports nothing from portalsync.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
