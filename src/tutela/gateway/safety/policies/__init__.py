"""Organization content policies: rules admins write, evaluated on any text (authoring checks, gateway)."""
