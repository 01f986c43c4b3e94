"""End-to-end tests: a generated project served by `fastmvc run`."""
