"""FastMVC: async-first MVC for FastAPI on SQLAlchemy 2.0 asyncio."""
