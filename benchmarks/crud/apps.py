"""The five servers under test, as uvicorn factories (``--factory benchmarks.crud.apps:NAME``).

They read the database and the JWT secret from the environment the runner
sets (:data:`DSN_ENV`, :data:`SECRET_ENV`), so each runs in its own process
exactly as it would in production.
"""

# No ``from __future__ import annotations``: FastAPI must see the local
# ``session_dep`` alias as an object, not as a string it cannot resolve.

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

from benchmarks.crud.model import (
    Item,
    ItemIn,
    ItemOut,
    OwnedProduct,
    PlainCreate,
    PlainItemOut,
    PlainOut,
    PlainUpdate,
    Product,
    ProductCreate,
    ProductOut,
    ProductUpdate,
)
from benchmarks.settings import bench_settings
from fastmvc.access import Policy
from fastmvc.app import create_app
from fastmvc.controller import CRUDController
from fastmvc.repository import Repository
from fastmvc.service import CRUDService
from fastmvc.settings import Settings

__all__ = [
    "DSN_ENV",
    "SECRET_ENV",
    "asyncpg_app",
    "fastcrud_app",
    "fastmvc_auth_app",
    "fastmvc_owned_app",
    "fastmvc_public_app",
    "fastmvc_settings",
    "orm_app",
]

DSN_ENV = "FASTMVC_BENCH_DSN"
SECRET_ENV = "FASTMVC_BENCH_JWT_SECRET"
POOL_SIZE = 10


def _dsn() -> str:
    return os.environ[DSN_ENV]


def _sqlalchemy_url() -> str:
    return _dsn().replace("postgresql://", "postgresql+asyncpg://", 1)


# -- FastMVC ------------------------------------------------------------------


class ProductRepository(Repository[Product]):
    model = Product


class ProductService(CRUDService[Product, ProductRepository]):
    repository_class = ProductRepository


class PublicProducts(CRUDController):
    prefix = "/products"
    resource = "product"
    public = True
    service_class = ProductService
    create_schema = ProductCreate
    update_schema = ProductUpdate
    out_schema = ProductOut


class ItemRepository(Repository[Item]):
    model = Item


class ItemService(CRUDService[Item, ItemRepository]):
    repository_class = ItemRepository


class PublicItems(CRUDController):
    """The scaling line: ``GET /items?limit=100&include=category,tags``."""

    prefix = "/items"
    resource = "item"
    public = True
    service_class = ItemService
    create_schema = ItemIn
    update_schema = ItemIn
    out_schema = ItemOut


class PrivateProducts(PublicProducts):
    public = False


class OwnedProductRepository(Repository[OwnedProduct]):
    model = OwnedProduct


class OwnedProductService(CRUDService[OwnedProduct, OwnedProductRepository]):
    repository_class = OwnedProductRepository


class OwnedProducts(CRUDController):
    """The ``owner`` policy: every read carries ``AND owner_id = :caller``."""

    prefix = "/products"
    resource = "product"
    read_policy = Policy.OWNER
    write_policy = Policy.OWNER
    service_class = OwnedProductService
    create_schema = ProductCreate
    update_schema = ProductUpdate
    out_schema = ProductOut


def fastmvc_settings() -> Settings:
    """The settings both FastMVC servers run with (and the runner mints tokens with).

    The default stack with the never-refusing limiter of :func:`bench_settings`.
    """
    return bench_settings(
        database_url=_sqlalchemy_url(),
        jwt_secret_key=os.environ.get(SECRET_ENV, "bench-" + "k" * 40),
        database_pool_size=POOL_SIZE,
    )


def fastmvc_public_app() -> FastAPI:
    """FastMVC, ``public = True`` controller."""
    return create_app(
        fastmvc_settings(), routers=[PublicProducts.as_router(), PublicItems.as_router()]
    )


def fastmvc_auth_app() -> FastAPI:
    """FastMVC, Bearer-token controller (JWT verify + revocation check per request)."""
    return create_app(fastmvc_settings(), routers=[PrivateProducts.as_router()])


def fastmvc_owned_app() -> FastAPI:
    """FastMVC, ``owner`` policy: the Bearer-token path plus the owner scope on each read."""
    return create_app(fastmvc_settings(), routers=[OwnedProducts.as_router()])


# -- hand-written FastAPI + SQLAlchemy ORM ----------------------------------------


def orm_app() -> FastAPI:
    """What a careful hand-written FastAPI + SQLAlchemy 2.0 app looks like."""
    engine = create_async_engine(_sqlalchemy_url(), pool_size=POOL_SIZE, max_overflow=10)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as session:
            yield session

    session_dep = Annotated[AsyncSession, Depends(get_session)]
    app = FastAPI(lifespan=lifespan)

    @app.get("/products/{id}", response_model=PlainOut)
    async def get_product(id: int, session: session_dep) -> Any:
        product = await session.get(Product, id)
        if product is None:
            raise HTTPException(404, "not found")
        return PlainOut.model_validate(product)

    @app.get("/products", response_model=list[PlainOut])
    async def list_products(
        session: session_dep,
        price_min: Annotated[Decimal | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        stmt = select(Product).order_by(Product.price.desc(), Product.id.desc()).limit(limit)
        if price_min is not None:
            stmt = stmt.where(Product.price >= price_min)
        rows = (await session.execute(stmt)).scalars().all()
        return [PlainOut.model_validate(row) for row in rows]

    @app.post("/products", response_model=PlainOut, status_code=201)
    async def create_product(payload: PlainCreate, session: session_dep) -> Any:
        product = Product(**payload.model_dump())
        session.add(product)
        await session.commit()
        return PlainOut.model_validate(product)

    @app.patch("/products/{id}", response_model=PlainOut)
    async def update_product(id: int, payload: PlainUpdate, session: session_dep) -> Any:
        product = await session.get(Product, id)
        if product is None:
            raise HTTPException(404, "not found")
        for name, value in payload.model_dump(exclude_unset=True).items():
            setattr(product, name, value)
        await session.commit()
        return PlainOut.model_validate(product)

    @app.delete("/products/{id}")
    async def delete_product(id: int, session: session_dep) -> Any:
        product = await session.get(Product, id)
        if product is None:
            raise HTTPException(404, "not found")
        await session.delete(product)
        await session.commit()
        return {"deleted": id}

    @app.get("/items", response_model=list[PlainItemOut])
    async def list_items(
        session: session_dep, limit: Annotated[int, Query(ge=1, le=100)] = 20
    ) -> Any:
        stmt = (
            select(Item)
            .options(selectinload(Item.category), selectinload(Item.tags))
            .order_by(Item.id)
            .limit(limit)
        )
        rows = (await session.execute(stmt)).scalars().all()
        return [PlainItemOut.model_validate(row) for row in rows]

    return app


# -- raw asyncpg ------------------------------------------------------------


def asyncpg_app() -> FastAPI:
    """The floor: one pooled ``fetchrow`` and a dict."""
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(_dsn(), min_size=POOL_SIZE, max_size=POOL_SIZE)
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)
    query = "SELECT id, urn, name, price, stock, version FROM products WHERE id = $1"

    @app.get("/products/{id}")
    async def get_product(id: int) -> Any:
        row = await state["pool"].fetchrow(query, id)
        if row is None:
            raise HTTPException(404, "not found")
        return dict(row)

    return app


# -- fastcrud ------------------------------------------------------------------


def fastcrud_app() -> FastAPI:
    """fastcrud's ``crud_router`` on the same model."""
    from fastcrud import FilterConfig, crud_router

    engine = create_async_engine(_sqlalchemy_url(), pool_size=POOL_SIZE, max_overflow=10)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as session:
            yield session

    app = FastAPI(lifespan=lifespan)
    app.include_router(
        crud_router(
            session=get_session,
            model=Product,
            create_schema=PlainCreate,
            update_schema=PlainCreate,
            select_schema=PlainOut,
            path="/products",
            tags=["products"],
            included_methods=["create", "read", "read_multi"],
            filter_config=FilterConfig(price__gte=None),
        )
    )
    return app
