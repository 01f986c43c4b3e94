"""The ``fastmvc`` command line: scaffold projects, add entities, migrate and serve.

Importing this package is cheap on purpose: SQLAlchemy, Alembic and uvicorn are
imported inside the commands that need them, so ``fastmvc --version`` starts fast.
"""
