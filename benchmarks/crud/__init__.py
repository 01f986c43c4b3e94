"""Data-path speed: FastMVC's CRUD routes against hand-written and library peers."""
