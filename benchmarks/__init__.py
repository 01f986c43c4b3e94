"""FastMVC's benchmark suites; ``python -m benchmarks`` runs them all and writes RESULTS.md."""
