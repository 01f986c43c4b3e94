"""``python -m fastmvc_cli`` runs the same CLI as the ``fastmvc`` command."""

from fastmvc_cli.main import main

main()
