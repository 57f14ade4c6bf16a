"""`python -m kindred_infra.graph_server --port N`: see bootstrap.main."""

from kindred_infra.graph_server.bootstrap import main

raise SystemExit(main())
