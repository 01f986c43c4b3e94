"""The admin at ``/admin``: every entity and the users, for active superusers only.

Built on sqladmin (the ``admin`` extra) and mounted by
:func:`~fastmvc.create_app` when ``ADMIN_ENABLED`` is true (the default,
except in production). See :mod:`fastmvc.admin.site` for what it shows,
:mod:`fastmvc.admin.auth` for who gets in, :mod:`fastmvc.admin.csrf` for
the form protection and :mod:`fastmvc.admin.views` for the data rules.
"""

from fastmvc.admin.auth import AdminAuth
from fastmvc.admin.site import ADMIN_PATH, install_admin
from fastmvc.admin.users import UserView, user_view
from fastmvc.admin.views import EntityView, entity_view

__all__ = [
    "ADMIN_PATH",
    "AdminAuth",
    "EntityView",
    "UserView",
    "entity_view",
    "install_admin",
    "user_view",
]
