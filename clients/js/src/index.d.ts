// Types of ArrowCid's JavaScript client (docs/js.md); each module's declarations follow, one block each.
