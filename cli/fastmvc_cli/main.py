def main() -> None:
    raise SystemExit("fastmvc CLI not built yet")
