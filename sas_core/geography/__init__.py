"""Geography: the place the regulator types, turned into the centre and radius of a search."""
