"""Limiter benchmarks: checks per second against peer libraries; Redis vs memory, served."""
