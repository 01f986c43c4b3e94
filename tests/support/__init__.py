"""Helpers shared by several test suites: free ports, throwaway servers, skip-or-fail."""
