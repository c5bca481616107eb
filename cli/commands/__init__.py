"""One module per tkctl command; cli.main wires them into the `tkctl` group."""
