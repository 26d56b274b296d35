"""Route modules of ``vtexbridge serve``: each defines ``routes(settings) -> list[BaseRoute]`` or a
FastAPI ``router``; :func:`vtexbridge.web.app.discover` mounts them in module-name order."""
