"""Field mapping: the catalog of properties and default rows, mapping rules and value conversion."""
