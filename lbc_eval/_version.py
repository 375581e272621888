"""The kit's version, in one place (read by the package root, the CLI and every manifest)."""

__version__ = "0.1.0"
