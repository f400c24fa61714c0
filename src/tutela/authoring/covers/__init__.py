"""Cover images of modules: proposed from the module, generated through the gateway, reviewed, exported."""
