"""The fastmvc command line."""
