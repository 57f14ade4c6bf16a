"""DNS rebinding in tests: `rebind.test` resolves to PUBLIC once and to 127.0.0.1 ever after
(the `rebinding` fixture of tests/integration/conftest.py), and the `connections` fixture
refuses every non-loopback address and records where a client was asked to connect.
"""

PUBLIC = "93.184.216.34"  # global unicast: allowed by the guard, never connected to here
