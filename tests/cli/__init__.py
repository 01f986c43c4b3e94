"""Tests of the fastmvc CLI."""
